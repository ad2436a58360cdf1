/* runtime/isa.c — which version of the NNM_ISA_KERNEL kernels runs. */
#include "isa.h"

#include <stdio.h>
#include <string.h>

int nnm_isa_active = NNM_ISA_BASELINE;

static const char *const names[NNM_ISA_COUNT] = {"baseline", "avx2", "avx512"};

const char *nnm_isa_name(int isa) { return isa >= 0 && isa < NNM_ISA_COUNT ? names[isa] : "?"; }

int nnm_isa_supported(int isa)
{
#if NNM_ISA_DISPATCH
    __builtin_cpu_init();
    switch (isa) {
    case NNM_ISA_BASELINE: return 1;
    case NNM_ISA_AVX2: return __builtin_cpu_supports("avx2") != 0;
    case NNM_ISA_AVX512:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl");
    }
    return 0;
#else
    return isa == NNM_ISA_BASELINE;
#endif
}

int nnm_isa_select(const char *name)
{
    if (!name || !strcmp(name, "auto")) {
        int best = NNM_ISA_BASELINE;
        for (int i = 0; i < NNM_ISA_COUNT; i++)
            if (nnm_isa_supported(i))
                best = i;
        nnm_isa_active = best;
        return 0;
    }
    for (int i = 0; i < NNM_ISA_COUNT; i++)
        if (!strcmp(name, names[i])) {
            if (!nnm_isa_supported(i)) {
                fprintf(stderr, "nnmc: error: --isa %s: this %s cannot run it\n", name,
                        NNM_ISA_DISPATCH ? "CPU" : "build");
                return -1;
            }
            nnm_isa_active = i;
            return 0;
        }
    fprintf(stderr, "nnmc: error: --isa needs auto, baseline, avx2 or avx512, got '%s'\n", name);
    return -1;
}
