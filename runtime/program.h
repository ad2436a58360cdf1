/* runtime/program.h — the IR: what the compiler produces and the runtime
 * (and, later, the C emitter) consumes.  It is flat, index-based and holds
 * no pointers into the AST: a Program is the whole meaning of a .nnm file.
 *
 *   models[]    each a graph of layer nodes in topological order (a
 *               Sequential model is the chain: node i takes node i-1) with
 *               inferred per-sample shapes; the last node is the output;
 *               a loss, an optimizer and its metrics
 *   datasets[]  which data set and which classes of it
 *   steps[]     what to do, in order: fit, evaluate, predict, print,
 *               save_weights, load_weights
 *   results     numbered slots that fit/evaluate fill and print reads
 *
 * Shapes never include the batch dimension. */
#ifndef NNM_PROGRAM_H
#define NNM_PROGRAM_H
#include <stdint.h>

#define NNM_MAX_RANK 4
#define NNM_NAME_MAX 64
#define NNM_MAX_CLASSES 10
#define NNM_AFFINE_MAX 16 /* per-channel constants of an array's (x - mean) / std */
#define NNM_MAX_IN 16 /* tensors one node takes: Concatenate([...]) of at most this many */

typedef struct {
    int rank;
    int64_t dim[NNM_MAX_RANK];
} NnmShape;

/* Activation functions: X(ID, keras_name). */
#define NNM_ACTIVATIONS(X)                                                                        \
    X(LINEAR, "linear") X(RELU, "relu") X(SIGMOID, "sigmoid") X(TANH, "tanh")                     \
    X(SOFTMAX, "softmax") X(ELU, "elu") X(SELU, "selu") X(SOFTPLUS, "softplus")                   \
    X(SOFTSIGN, "softsign") X(SWISH, "swish") X(GELU, "gelu") X(HARD_SIGMOID, "hard_sigmoid")     \
    X(EXPONENTIAL, "exponential") X(LEAKY_RELU, "leaky_relu")
typedef enum {
#define X(id, name) ACT_##id,
    NNM_ACTIVATIONS(X)
#undef X
    ACT_COUNT
} NnmAct;

/* Weight initializers: X(ID, keras_name). */
#define NNM_INITIALIZERS(X)                                                                       \
    X(ZEROS, "zeros") X(ONES, "ones") X(GLOROT_UNIFORM, "glorot_uniform")                         \
    X(GLOROT_NORMAL, "glorot_normal") X(HE_NORMAL, "he_normal") X(HE_UNIFORM, "he_uniform")       \
    X(LECUN_NORMAL, "lecun_normal") X(LECUN_UNIFORM, "lecun_uniform")                             \
    X(RANDOM_NORMAL, "random_normal") X(RANDOM_UNIFORM, "random_uniform")                         \
    X(TRUNCATED_NORMAL, "truncated_normal")
typedef enum {
#define X(id, name) INIT_##id,
    NNM_INITIALIZERS(X)
#undef X
    INIT_COUNT
} NnmInit;

#define NNM_LOSSES(X)                                                                             \
    X(CCE, "categorical_crossentropy") X(SPARSE_CCE, "sparse_categorical_crossentropy")           \
    X(BCE, "binary_crossentropy") X(MSE, "mean_squared_error") X(MAE, "mean_absolute_error")
typedef enum {
#define X(id, name) LOSS_##id,
    NNM_LOSSES(X)
#undef X
    LOSS_COUNT
} NnmLoss;

#define NNM_OPTIMIZERS(X)                                                                         \
    X(SGD, "SGD") X(RMSPROP, "RMSprop") X(ADAGRAD, "Adagrad") X(ADADELTA, "Adadelta")             \
    X(ADAM, "Adam") X(ADAMAX, "Adamax") X(NADAM, "Nadam")
typedef enum {
#define X(id, name) OPT_##id,
    NNM_OPTIMIZERS(X)
#undef X
    OPT_COUNT
} NnmOptKind;

extern const char *const nnm_act_names[ACT_COUNT];
extern const char *const nnm_init_names[INIT_COUNT];
extern const char *const nnm_loss_names[LOSS_COUNT];
extern const char *const nnm_optim_names[OPT_COUNT];

/* One node of a model's graph: a layer called on one tensor (or, for the
 * merge kinds, on several).  A model's nodes are in topological order:
 * every input is a node before this one, or one of the model's inputs. */
typedef struct {
    int kind;                 /* LK_* (layers.def) */
    char name[NNM_NAME_MAX];  /* Keras name: dense_1, dropout_2, ... */
    NnmShape in, out;         /* per sample; in is the first input's shape */
    int nin;                  /* tensors taken: 1 but for the merge kinds */
    int inputs[NNM_MAX_IN];   /* each a node index below this one's, or -1 - k for the model's input k */
    int weights_of;           /* 0: the node has its own weights; else 1 + the node whose weights it
                                 shares (a layer called again: nparams is 0 here) */
    int layer_id;             /* 1 + the program-wide number of the layer object whose weights a node
                                 with nparams holds: models with the same id share those weights */
    int act;                  /* NnmAct: of Dense, the convolutions and Activation (LeakyReLU, ELU and
                                 Softmax set their own) */
    double alpha;             /* leaky_relu slope, elu alpha (set from the activation when not given) */
    double reg[3][2];         /* regularizers of the kernel, the bias and the output (activity):
                                 {l1, l2}, Keras's penalty l1·Σ|x| + l2·Σx² (REG_*) */
    int64_t nparams;          /* floats of weights, in save order */
    int64_t nfrozen;          /* of which not trainable (BatchNormalization's moving statistics) */
    int line;                 /* source line of the constructor call, for emitted comments */
    void *attr;               /* the kind's own attributes (units, kernel size, rate, ...): the struct
                                 its file in runtime/layers/ defines and its ArgSpec schema describes;
                                 NULL for kinds without any.  Read-only once the compiler inferred it. */
} NnmLayer;

enum { PAD_VALID, PAD_SAME, PAD_CAUSAL /* Conv1D: all padding before */ };
enum { REG_KERNEL, REG_BIAS, REG_ACTIVITY };

/* Learning-rate schedules: keras.optimizers.schedules and nnmc's StepDecay.
 * As an optimizer's learning_rate the step is the number of updates done;
 * inside LearningRateScheduler it is the epoch (0-based). */
#define NNM_SCHEDULES(X)                                                                          \
    X(NONE, "") X(EXPONENTIAL, "ExponentialDecay") X(INVERSE_TIME, "InverseTimeDecay")            \
    X(PIECEWISE, "PiecewiseConstantDecay") X(POLYNOMIAL, "PolynomialDecay")                       \
    X(COSINE, "CosineDecay") X(STEP, "StepDecay") X(LINEAR, "PiecewiseLinearDecay")
typedef enum {
#define X(id, name) SCHED_##id,
    NNM_SCHEDULES(X)
#undef X
    SCHED_COUNT
} NnmSchedKind;
extern const char *const nnm_schedule_names[SCHED_COUNT];
#define NNM_MAX_PIECES 16

typedef struct {
    int kind;                 /* NnmSchedKind; SCHED_NONE: a constant learning rate */
    double initial;           /* initial_learning_rate */
    double steps;             /* decay_steps (StepDecay: epochs_drop) */
    double rate;              /* decay_rate (StepDecay: drop) */
    double alpha;             /* CosineDecay: floor as a fraction; PolynomialDecay: end rate */
    double power;             /* PolynomialDecay */
    double warmup_target, warmup_steps; /* CosineDecay: linear warm-up first (target 0: none) */
    int staircase, cycle;
    int npieces;              /* PiecewiseConstantDecay: boundaries[npieces], values[npieces + 1];
                                 PiecewiseLinearDecay: values[npieces] at the boundaries */
    double boundaries[NNM_MAX_PIECES], values[NNM_MAX_PIECES + 1];
} NnmSchedule;

/* Keras 2.2 optimizer hyper-parameters; unused fields are 0. */
typedef struct {
    int kind;                 /* NnmOptKind */
    double lr, momentum, rho, epsilon, beta_1, beta_2, decay, schedule_decay;
    int nesterov, amsgrad;
    NnmSchedule schedule;     /* learning_rate=ExponentialDecay(...) and the like */
} NnmOptim;

/* Metrics of compile(metrics=[...]): X(ID, Keras 2.2's log key). */
#define NNM_METRICS(X)                                                                            \
    X(ACC, "acc") X(TOP_K, "top_k_categorical_accuracy")                                          \
    X(SPARSE_TOP_K, "sparse_top_k_categorical_accuracy") X(MSE, "mean_squared_error")             \
    X(MAE, "mean_absolute_error") X(PRECISION, "precision") X(RECALL, "recall")                   \
    X(F1, "f1_score") X(AUC, "auc")
typedef enum {
#define X(id, name) MET_##id,
    NNM_METRICS(X)
#undef X
    MET_COUNT
} NnmMetricKind;
extern const char *const nnm_metric_names[MET_COUNT];
#define NNM_MAX_METRICS 6
enum { F1_MACRO, F1_MICRO, F1_WEIGHTED };

typedef struct {
    int kind;                 /* NnmMetricKind */
    int k;                    /* top-k: k */
    int average;              /* F1: F1_MACRO, F1_MICRO or F1_WEIGHTED */
    double threshold;         /* precision, recall: an output above it counts as positive */
} NnmMetric;

#define NNM_MAX_IO 8 /* inputs, or outputs, of one model */

/* One output of a model, with what compile() gave it. */
typedef struct {
    int node;                 /* the node whose output it is (its layer's name is Keras's output name) */
    int loss;                 /* NnmLoss */
    double weight;            /* compile(loss_weights=): 1 unless given */
    double label_smoothing;   /* CategoricalCrossentropy(label_smoothing=), in [0, 1] */
    int nmetrics;             /* in compile order */
    NnmMetric metrics[NNM_MAX_METRICS];
} NnmOutput;

typedef struct {
    char name[NNM_NAME_MAX];
    int nlayers;
    const NnmLayer *layers;
    int ninputs;              /* >= 1 */
    NnmShape inputs[NNM_MAX_IO];
    char input_names[NNM_MAX_IO][NNM_NAME_MAX];
    int compiled;             /* the outputs' losses and metrics, and optim, are set */
    NnmOptim optim;
    int noutputs;             /* >= 1; a Sequential model's is its last node */
    NnmOutput outputs[NNM_MAX_IO];
} NnmModel;

enum { DS_MNIST, DS_FASHION_MNIST, DS_CIFAR10, DS_CSV };
typedef struct {
    int source;               /* DS_* */
    int nclasses;             /* labels are 0 .. nclasses-1 after filtering */
    int filtered;             /* keep only classes[], renumbered in that order */
    int classes[NNM_MAX_CLASSES];
    /* DS_CSV, load_csv(): the file, its label column (0-based), the test
     * part (the last fraction after a shuffle with split_seed), and whether
     * the features are standardized by the training part's statistics;
     * features and rows are what the file had when it was compiled */
    const char *path;
    int label_column, standardize;
    double test_split;
    uint64_t split_seed;
    int64_t features, rows;
} NnmDataset;

/* A view of one half of a data set: samples [begin, end) of train or test. */
typedef struct {
    int dataset;
    int test;                 /* 0 train, 1 test split */
    int64_t begin, end;       /* end -1 = to the end; clamped like numpy slices */
    int64_t expect_n;         /* -1, or the count a reshape() in the file assumed */
    int line;                 /* where the array was last shaped, for messages */
    int mapped;               /* labels: 0 as they are; else the number of classes after map */
    signed char map[NNM_MAX_CLASSES]; /* labels: what each class becomes (y % 2 and the like) */
    /* images: value i of a sample is x * mul[i % nchan] + add[i % nchan],
     * x the pixel in [0, 1] (nchan 0: x itself); the file's (x - mean) / std */
    int nchan;
    float mul[NNM_AFFINE_MAX], add[NNM_AFFINE_MAX];
} NnmArrayRef;

/* keras.callbacks: X(ID, class name). */
#define NNM_CALLBACKS(X)                                                                          \
    X(EARLY_STOPPING, "EarlyStopping") X(MODEL_CHECKPOINT, "ModelCheckpoint")                     \
    X(REDUCE_LR, "ReduceLROnPlateau") X(LR_SCHEDULER, "LearningRateScheduler")                    \
    X(CSV_LOGGER, "CSVLogger") X(TERMINATE_ON_NAN, "TerminateOnNaN")
typedef enum {
#define X(id, name) CB_##id,
    NNM_CALLBACKS(X)
#undef X
    CB_COUNT
} NnmCallbackKind;
extern const char *const nnm_callback_names[CB_COUNT];

/* One callback of a fit(), with Keras 2.2's arguments; unused fields are 0. */
typedef struct {
    int kind;                 /* NnmCallbackKind */
    int line;                 /* of the constructor call */
    char monitor[NNM_NAME_MAX]; /* a log key as the file spells it (val_acc, val_accuracy, ...) */
    int mode;                 /* +1: larger is better, -1: smaller is better */
    double min_delta;         /* >= 0 */
    int has_baseline;
    double baseline;          /* EarlyStopping */
    int patience, verbose;
    int restore_best;         /* EarlyStopping(restore_best_weights=) */
    double factor, min_lr;    /* ReduceLROnPlateau */
    int cooldown;
    int save_best_only, save_weights_only, period; /* ModelCheckpoint */
    const char *path;         /* ModelCheckpoint's filepath (may hold {epoch:02d}), CSVLogger's filename */
    char separator;           /* CSVLogger */
    int append;
    NnmSchedule schedule;     /* LearningRateScheduler */
} NnmCallback;

/* ImageDataGenerator(...).flow(...): a random transform of every training
 * image, drawn anew each epoch (Keras 2.2's keras_preprocessing rules). */
enum { FILL_NEAREST, FILL_CONSTANT, FILL_REFLECT, FILL_WRAP };
typedef struct {
    int on;
    double rotation;          /* degrees, uniform in [-r, r] */
    double width_shift, height_shift; /* fractions of the size (< 1) or pixels (>= 1) */
    double shear;             /* degrees */
    double zoom[2];           /* zoom factors drawn in [zoom[0], zoom[1]] for rows and columns */
    int hflip, vflip;
    int fill;                 /* FILL_* for what comes from outside the image */
    double cval;              /* FILL_CONSTANT's value */
} NnmAugment;

typedef enum { STEP_PRINT, STEP_FIT, STEP_EVALUATE, STEP_PREDICT, STEP_SAVE, STEP_LOAD } NnmStepKind;

typedef struct {
    const char *text;         /* literal text, or NULL for a result */
    int result, index;        /* result slot; index -1 prints the whole slot */
} NnmPrintItem;

typedef struct {
    NnmStepKind kind;
    int line;                 /* source line of the call */
    int model;
    NnmArrayRef x[NNM_MAX_IO], y[NNM_MAX_IO]; /* one per model input; y: one per output, labels of x */
    NnmArrayRef vx[NNM_MAX_IO], vy[NNM_MAX_IO]; /* validation_data, likewise */
    int has_val_data;
    double val_split;
    int64_t batch_size;
    int epochs, verbose, shuffle;
    int initial_epoch;
    int steps;                /* 0: fit on arrays (progress counts samples); else on a generator
                                 (progress counts batches): -1 all of them, or this many per epoch */
    NnmAugment aug;           /* fit on ImageDataGenerator.flow(): its transforms */
    int ncallbacks;
    const NnmCallback *callbacks;
    int nclass_weights[NNM_MAX_IO]; /* per output: 0, or one weight per class (class_weight=) */
    const double *class_weight[NNM_MAX_IO];
    const char *path;         /* save/load */
    int result;               /* first result slot written (fit: one per history key, nnm_fit_keys) */
    int nitems;               /* print */
    const NnmPrintItem *items;
    int chatter;              /* print: output of summary(), silenced by -q */
} NnmStep;

typedef struct {
    const char *file;         /* the .nnm file, for messages */
    int nmodels, ndatasets, nsteps, nresults;
    const NnmModel *models;
    const NnmDataset *datasets;
    const NnmStep *steps;
    const char *summaries;    /* every model's summary table, for `nnmc check` */
    int has_seed;             /* the file called np.random.seed(...) or the like */
    uint64_t seed;
} NnmProgram;

#endif
