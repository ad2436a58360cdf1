/* ==== the program: its IR as constants ==== */

static DenseAttr m0_layers_attr0 = {.units = 8, .use_bias = 1, .kinit = INIT_GLOROT_UNIFORM, .binit = INIT_ZEROS};
static DropoutAttr m0_layers_attr1 = {.rate = 0.5};
static DenseAttr m0_layers_attr2 = {.units = 2, .use_bias = 1, .kinit = INIT_GLOROT_UNIFORM, .binit = INIT_ZEROS};
static const NnmLayer m0_layers[3] = {
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    {.kind = LK_DENSE, .name = "dense_1", .in = {1, {784, 0, 0, 0}}, .out = {1, {8, 0, 0, 0}}, .nin = 1, .inputs = {-1}, .weights_of = 0, .layer_id = 1,
     .act = ACT_TANH, .alpha = 0.2, .reg = {{0.0, 0.0}, {0.0, 0.0}, {0.0, 0.0}}, .nparams = 6280, .nfrozen = 0, .line = 3,
     .attr = &m0_layers_attr0},
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    {.kind = LK_DROPOUT, .name = "dropout_1", .in = {1, {8, 0, 0, 0}}, .out = {1, {8, 0, 0, 0}}, .nin = 1, .inputs = {0}, .weights_of = 0, .layer_id = 0,
     .act = ACT_LINEAR, .alpha = 0.2, .reg = {{0.0, 0.0}, {0.0, 0.0}, {0.0, 0.0}}, .nparams = 0, .nfrozen = 0, .line = 3,
     .attr = &m0_layers_attr1},
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    {.kind = LK_DENSE, .name = "dense_2", .in = {1, {8, 0, 0, 0}}, .out = {1, {2, 0, 0, 0}}, .nin = 1, .inputs = {1}, .weights_of = 0, .layer_id = 3,
     .act = ACT_SOFTMAX, .alpha = 0.2, .reg = {{0.0, 0.0}, {0.0, 0.0}, {0.0, 0.0}}, .nparams = 18, .nfrozen = 0, .line = 3,
     .attr = &m0_layers_attr2},
};
static const NnmModel models[1] = {
    {.name = "sequential_1", .nlayers = 3, .layers = m0_layers, .ninputs = 1, .inputs = {{1, {784, 0, 0, 0}}}, .input_names = {"dense_1_input"},
     .compiled = 1, .noutputs = 1, .outputs = {
      {.node = 2, .loss = LOSS_CCE, .weight = 1.0, .label_smoothing = 0.0, .nmetrics = 1, .metrics = {{MET_ACC, 5, 0, 0.5}}}},
     .optim = {.kind = OPT_SGD, .lr = 0.1, .momentum = 0.9, .rho = 0.0, .epsilon = 1e-07, .beta_1 = 0.9, .beta_2 = 0.999, .decay = 0.0, .schedule_decay = 0.0,
               .nesterov = 1, .amsgrad = 0, .schedule = {.kind = SCHED_NONE}}},
};
static const NnmDataset datasets[1] = {
    {.source = DS_MNIST, .nclasses = 2, .filtered = 1, .classes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
};
static const NnmPrintItem items_2[2] = {
    {NULL, 4, -1},
    {"\n", 0, 0},
};
static const NnmStep steps[4] = {
    /* small.nnm:5: model.fit(x_train, y_train, batch_size=16, epochs=2, validation_split=0.1) */
    {.kind = STEP_FIT, .line = 5, .model = 0, .x = {{0, 0, 0, -1, -1, 2, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .y = {{0, 0, 0, -1, -1, 2, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .vx = {{0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .vy = {{0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}},
     .has_val_data = 0, .val_split = 0.1, .batch_size = 16, .epochs = 2, .verbose = 1, .shuffle = 1,
     .initial_epoch = 0, .ncallbacks = 0, .callbacks = NULL, .steps = 0,
     .aug = {.on = 0, .rotation = 0.0, .width_shift = 0.0, .height_shift = 0.0, .shear = 0.0, .zoom = {0.0, 0.0}, .hflip = 0, .vflip = 0, .fill = 0, .cval = 0.0},
     .nclass_weights = {0}, .class_weight = {NULL}, .path = NULL,
     .result = 0, .nitems = 0, .items = NULL, .chatter = 0},
    /* small.nnm:6: print(model.evaluate(x_test, y_test)) */
    {.kind = STEP_EVALUATE, .line = 6, .model = 0, .x = {{0, 1, 0, -1, -1, 2, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .y = {{0, 1, 0, -1, -1, 2, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .vx = {{0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .vy = {{0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}},
     .has_val_data = 0, .val_split = 0.0, .batch_size = 32, .epochs = 0, .verbose = 1, .shuffle = 0,
     .initial_epoch = 0, .ncallbacks = 0, .callbacks = NULL, .steps = 0,
     .aug = {.on = 0, .rotation = 0.0, .width_shift = 0.0, .height_shift = 0.0, .shear = 0.0, .zoom = {0.0, 0.0}, .hflip = 0, .vflip = 0, .fill = 0, .cval = 0.0},
     .nclass_weights = {0}, .class_weight = {NULL}, .path = NULL,
     .result = 4, .nitems = 0, .items = NULL, .chatter = 0},
    /* small.nnm:6: print(model.evaluate(x_test, y_test)) */
    {.kind = STEP_PRINT, .line = 6, .model = -1,
     .has_val_data = 0, .val_split = 0.0, .batch_size = 0, .epochs = 0, .verbose = 0, .shuffle = 0,
     .initial_epoch = 0, .ncallbacks = 0, .callbacks = NULL, .steps = 0,
     .aug = {.on = 0, .rotation = 0.0, .width_shift = 0.0, .height_shift = 0.0, .shear = 0.0, .zoom = {0.0, 0.0}, .hflip = 0, .vflip = 0, .fill = 0, .cval = 0.0},
     .nclass_weights = {0}, .class_weight = {NULL}, .path = NULL,
     .result = -1, .nitems = 2, .items = items_2, .chatter = 0},
    /* small.nnm:7: model.save_weights('small.npz') */
    {.kind = STEP_SAVE, .line = 7, .model = 0, .x = {{0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .y = {{0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .vx = {{0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}}, .vy = {{0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, {0}}},
     .has_val_data = 0, .val_split = 0.0, .batch_size = 0, .epochs = 0, .verbose = 0, .shuffle = 0,
     .initial_epoch = 0, .ncallbacks = 0, .callbacks = NULL, .steps = 0,
     .aug = {.on = 0, .rotation = 0.0, .width_shift = 0.0, .height_shift = 0.0, .shear = 0.0, .zoom = {0.0, 0.0}, .hflip = 0, .vflip = 0, .fill = 0, .cval = 0.0},
     .nclass_weights = {0}, .class_weight = {NULL}, .path = "small.npz",
     .result = -1, .nitems = 0, .items = NULL, .chatter = 0},
};
static const NnmProgram program = {
    .file = "small.nnm", .nmodels = 1, .ndatasets = 1, .nsteps = 4, .nresults = 5,
    .models = models, .datasets = datasets, .steps = steps, .summaries = NULL,
    .has_seed = 0, .seed = UINT64_C(0),
};

/* model 0 (sequential_1): its layers in order, then in reverse */
static void m0_forward(Net *n, int64_t batch, int training)
{
    LayerRun r;
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    r = net_layer_run(n, 0, batch, training);
    r.l = &m0_layers[0];
    layer_dense.forward(&r);
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    r = net_layer_run(n, 1, batch, training);
    r.l = &m0_layers[1];
    layer_dropout.forward(&r);
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    r = net_layer_run(n, 2, batch, training);
    r.l = &m0_layers[2];
    layer_dense.forward(&r);
}

static void m0_backward(Net *n, int64_t batch)
{
    LayerRun r;
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    r = net_layer_back(n, 2, batch);
    r.l = &m0_layers[2];
    layer_dense.backward(&r);
    net_layer_back_end(n, 2, &r);
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    r = net_layer_back(n, 1, batch);
    r.l = &m0_layers[1];
    layer_dropout.backward(&r);
    net_layer_back_end(n, 1, &r);
    /* small.nnm:3: model = Sequential([Dense(8, activation='tanh', input_shape=(784,)), Dropout(0.5), Dense(2, activation='softmax')]) */
    r = net_layer_back(n, 0, batch);
    r.l = &m0_layers[0];
    layer_dense.backward(&r);
    net_layer_back_end(n, 0, &r);
}

int main(int argc, char **argv)
{
    NnmRunArgs ra;
    int status = nnm_program_args(&ra, argc, argv);
    if (status >= 0)
        return status;
    if (nnm_run_args_finish(&ra, &program))
        return 1;
    NnmSession s;
    int rc = nnm_session_open(&s, &program, &ra.o);
    s.nets[0].forward_fn = m0_forward;
    s.nets[0].backward_fn = m0_backward;
    /* small.nnm:5: model.fit(x_train, y_train, batch_size=16, epochs=2, validation_split=0.1) */
    if (rc == 0)
        rc = nnm_step_fit(&s, &steps[0]);
    /* small.nnm:6: print(model.evaluate(x_test, y_test)) */
    if (rc == 0)
        rc = nnm_step_infer(&s, &steps[1]);
    /* small.nnm:6: print(model.evaluate(x_test, y_test)) */
    if (rc == 0)
        nnm_step_print(&s, &steps[2]);
    /* small.nnm:7: model.save_weights('small.npz') */
    if (rc == 0)
        rc = nnm_step_weights(&s, &steps[3]);
    nnm_session_close(&s);
    return rc ? 1 : 0;
}
