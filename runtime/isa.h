/* runtime/isa.h — the hot element-wise and layout kernels, compiled for
 * the machine they run on.
 *
 * A kernel written with NNM_ISA_KERNEL is compiled three times from one
 * body: for baseline x86-64 (SSE2), for AVX2 and for AVX-512 (F, BW, DQ,
 * VL; the levels below the one the file is compiled for are left out); each call runs the version nnm_isa_select chose once at start (the
 * best the CPU has, or --isa).  The body is plain C.  The versions compute
 * the same bits: the compiler only vectorises what keeps each element's
 * operations and their order (no reassociation without -ffast-math, which
 * the runtime refuses), and no version may contract a*b+c into a fused
 * multiply-add (ISO C mode with gcc, the pragma below with clang; "fma" is
 * in no NNM_ISA_KERNEL target list: runtime/gemm.c, which fuses on purpose,
 * calls fmaf in every version, so its versions agree too).  tests/isa.sh checks that every --isa gives the same
 * figures and weight files.
 *
 * Elsewhere (another CPU or compiler, or the predict-only code emit
 * --inference writes) NNM_ISA_KERNEL is a plain static function. */
#ifndef NNM_ISA_H
#define NNM_ISA_H
#include <stdint.h>

enum { NNM_ISA_BASELINE, NNM_ISA_AVX2, NNM_ISA_AVX512, NNM_ISA_COUNT };

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !NNM_PREDICT_ONLY
#define NNM_ISA_DISPATCH 1
#else
#define NNM_ISA_DISPATCH 0
#endif

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* the version every NNM_ISA_KERNEL runs (NNM_ISA_BASELINE until chosen) */
extern int nnm_isa_active;

/* "auto" (or NULL): the best this CPU has; "baseline", "avx2", "avx512":
 * that one.  0, or -1 after a message when the CPU lacks it or the name is
 * unknown. */
int nnm_isa_select(const char *name);
/* the name of a level: "baseline", "avx2", "avx512" */
const char *nnm_isa_name(int isa);
/* 1 when this CPU (and this build) can run that level */
int nnm_isa_supported(int isa);

#if NNM_ISA_DISPATCH
/* With -march=native on a CPU whose tuning prefers 256-bit vectors (most
 * with AVX-512), gcc would vectorise the AVX-512 versions with ymm
 * registers only: half their width (the conv GEMM's tile measured 0.76x).
 * The width changes no bit.  clang takes no such attribute. */
#if defined(__clang__)
#define NNM_ISA_WIDTH_512 ""
#else
#define NNM_ISA_WIDTH_512 ",prefer-vector-width=512"
#endif
#define NNM_ISA_AVX512_TARGET "avx512f,avx512bw,avx512dq,avx512vl,avx2" NNM_ISA_WIDTH_512
/* NNM_ISA_KERNEL(name, (params), (args)) { body }: a static void function
 * `name` whose body is compiled once per level.  The versions are never
 * inlined into `name`: compiled with -march=native, `name` may have every
 * level's instructions, and a version inlined there would be compiled with
 * its tuning instead of the version's own. */
/* Versions below the level the whole file is compiled for (-march=native)
 * would be the same instructions compiled again: such a build compiles
 * only the versions from that level up (its kernels' compile time falls to
 * a third on an AVX-512 machine), and lower levels run the lowest of them,
 * with the same bits as ever. */
#define NNM_ISA_VERSION_AVX2(name, params, args) \
    __attribute__((noinline, target("avx2"))) static void name##_avx2 params { name##_body args; }
#define NNM_ISA_VERSION_BASE(name, params, args) \
    __attribute__((noinline)) static void name##_base params { name##_body args; }
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__) && defined(__AVX2__)
#define NNM_ISA_LOWER(name, params, args)
#define NNM_ISA_CALL(name, args) name##_avx512 args
#elif defined(__AVX2__)
#define NNM_ISA_LOWER(name, params, args) NNM_ISA_VERSION_AVX2(name, params, args)
#define NNM_ISA_CALL(name, args) (nnm_isa_active == NNM_ISA_AVX512 ? name##_avx512 args : name##_avx2 args)
#else
#define NNM_ISA_LOWER(name, params, args) NNM_ISA_VERSION_AVX2(name, params, args) NNM_ISA_VERSION_BASE(name, params, args)
#define NNM_ISA_CALL(name, args) \
    (nnm_isa_active == NNM_ISA_AVX512 ? name##_avx512 args : nnm_isa_active == NNM_ISA_AVX2 ? name##_avx2 args : name##_base args)
#endif
#define NNM_ISA_KERNEL(name, params, args)                                                         \
    static inline __attribute__((always_inline)) void name##_body params;                          \
    NNM_ISA_LOWER(name, params, args)                                                              \
    __attribute__((noinline, target(NNM_ISA_AVX512_TARGET))) static void name##_avx512 params { name##_body args; } \
    static void name params { NNM_ISA_CALL(name, args); }                                         \
    static inline __attribute__((always_inline)) void name##_body params
/* a helper of kernel bodies: inlined into each version, so that it is
 * compiled for that version's level too */
#define NNM_ISA_INLINE static inline __attribute__((always_inline))
#else
#define NNM_ISA_KERNEL(name, params, args) static void name params
#define NNM_ISA_INLINE static inline
#endif
#endif
