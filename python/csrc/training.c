/* U-Net model and trainer handles (issue 5): marshalling over the training section of
 * semsegloss.h; this file holds the model functions and the method table, trainer.c the
 * trainer functions. Handles are PyCapsules whose destructors release the Swift objects.
 * Every Swift call that computes or waits for the model's lock runs with the GIL released
 * (the library serialises calls on one model); constant-time getters keep it. */
#include "training.h"

/* ---------------------------------------------------------------- handles */

static void unet_capsule_destroy(PyObject *capsule) {
    semseg_unet_destroy((semseg_unet_t *)PyCapsule_GetPointer(capsule, UNET_CAPSULE));
}

static void trainer_capsule_destroy(PyObject *capsule) {
    semseg_trainer_destroy((semseg_trainer_t *)PyCapsule_GetPointer(capsule, TRAINER_CAPSULE));
}

PyObject *semseg_py_wrap_unet(semseg_unet_t *h) {
    PyObject *c = PyCapsule_New(h, UNET_CAPSULE, unet_capsule_destroy);
    if (c == NULL) semseg_unet_destroy(h);
    return c;
}

PyObject *semseg_py_wrap_trainer(semseg_trainer_t *h) {
    PyObject *c = PyCapsule_New(h, TRAINER_CAPSULE, trainer_capsule_destroy);
    if (c == NULL) semseg_trainer_destroy(h);
    return c;
}

semseg_unet_t *semseg_py_get_unet(PyObject *obj) {
    if (!PyCapsule_IsValid(obj, UNET_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "model: expected a U-Net handle, got %s", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return (semseg_unet_t *)PyCapsule_GetPointer(obj, UNET_CAPSULE);
}

semseg_trainer_t *semseg_py_get_trainer(PyObject *obj) {
    if (!PyCapsule_IsValid(obj, TRAINER_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "trainer: expected a trainer handle, got %s", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return (semseg_trainer_t *)PyCapsule_GetPointer(obj, TRAINER_CAPSULE);
}

/* seed: a Python int in [0, 2**64). */
int semseg_py_parse_seed(PyObject *obj, uint64_t *out) {
    if (!PyLong_Check(obj) || PyBool_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "seed: expected an int, got %s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(obj);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "seed: must be an integer in [0, 2**64), got %S", obj);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* ---------------------------------------------------------------- arrays */

int semseg_py_f32_open(semseg_py_f32_arg *a, PyObject *obj, const char *argname) {
    a->arr = semseg_py_float_array_as(obj, NPY_FLOAT32, argname);
    if (a->arr == NULL) return -1;
    return semseg_py_describe(a->arr, &a->t, a->shape, argname);
}

void semseg_py_f32_close(semseg_py_f32_arg *a) { Py_CLEAR(a->arr); }

PyObject *semseg_py_record_dict(const semseg_epoch_record_t *r) {
    return Py_BuildValue("{s:L,s:d,s:d,s:d,s:d,s:d}", "epoch", (long long)r->epoch, "loss", r->loss,
                         "val_loss", r->val_loss, "val_iou", r->val_iou, "val_dice", r->val_dice,
                         "val_accuracy", r->val_accuracy);
}

/* ---------------------------------------------------------------- model */

static PyObject *py_unet_create(PyObject *self, PyObject *args) {
    (void)self;
    long long in_c, out_c, base, depth, threads;
    int batch_norm;
    PyObject *seed_obj;
    if (!PyArg_ParseTuple(args, "LLLLpOL", &in_c, &out_c, &base, &depth, &batch_norm, &seed_obj, &threads)) return NULL;
    uint64_t seed;
    if (semseg_py_parse_seed(seed_obj, &seed) < 0) return NULL;
    semseg_unet_t *h = NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_unet_create(in_c, out_c, base, depth, batch_norm, seed, threads, &h, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return semseg_py_wrap_unet(h);
}

static int unet_info(semseg_unet_t *h, semseg_unet_info_t *info) {
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st = semseg_unet_info(h, info, err, sizeof err); /* constant time: GIL kept */
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); return -1; }
    return 0;
}

static PyObject *py_unet_info(PyObject *self, PyObject *arg) {
    (void)self;
    semseg_unet_t *h = semseg_py_get_unet(arg);
    semseg_unet_info_t i;
    if (h == NULL || unet_info(h, &i) < 0) return NULL;
    return Py_BuildValue("{s:L,s:L,s:L,s:L,s:O,s:L,s:L}", "in_channels", (long long)i.in_channels,
                         "out_channels", (long long)i.out_channels, "base_channels", (long long)i.base_channels,
                         "depth", (long long)i.depth, "batch_norm", i.batch_norm ? Py_True : Py_False,
                         "threads", (long long)i.threads, "parameter_count", (long long)i.parameter_count);
}

static PyObject *py_unet_predict(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *hobj, *xobj;
    int output;
    double threshold;
    long long batch_size;
    if (!PyArg_ParseTuple(args, "OOidL", &hobj, &xobj, &output, &threshold, &batch_size)) return NULL;
    semseg_unet_t *h = semseg_py_get_unet(hobj);
    semseg_unet_info_t info;
    if (h == NULL || unet_info(h, &info) < 0) return NULL;
    semseg_py_f32_arg x = {0};
    if (semseg_py_f32_open(&x, xobj, "x") < 0) { semseg_py_f32_close(&x); return NULL; }
    npy_intp dims[4] = {1, 1, 1, 1};
    if (PyArray_NDIM(x.arr) == 4) {
        dims[0] = PyArray_DIMS(x.arr)[0];
        dims[1] = (npy_intp)info.out_channels;
        dims[2] = PyArray_DIMS(x.arr)[2];
        dims[3] = PyArray_DIMS(x.arr)[3];
    } /* otherwise the library reports the shape of x */
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(4, dims, NPY_FLOAT32);
    if (out == NULL) { semseg_py_f32_close(&x); return NULL; }
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    static float empty;
    float *data = PyArray_SIZE(out) > 0 ? (float *)PyArray_DATA(out) : &empty;
    int64_t len = (int64_t)PyArray_SIZE(out);
    Py_BEGIN_ALLOW_THREADS
    st = semseg_unet_predict(h, &x.t, output, threshold, batch_size, data, len, err, sizeof err);
    Py_END_ALLOW_THREADS
    semseg_py_f32_close(&x);
    if (st != SEMSEG_OK) { Py_DECREF(out); return semseg_py_raise(st, err); }
    return (PyObject *)out;
}

static PyObject *py_unet_get_parameters(PyObject *self, PyObject *arg) {
    (void)self;
    semseg_unet_t *h = semseg_py_get_unet(arg);
    semseg_unet_info_t info;
    if (h == NULL || unet_info(h, &info) < 0) return NULL;
    npy_intp n = (npy_intp)info.parameter_count;
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_FLOAT32);
    if (out == NULL) return NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    float *data = (float *)PyArray_DATA(out);
    Py_BEGIN_ALLOW_THREADS
    st = semseg_unet_get_parameters(h, data, (int64_t)n, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) { Py_DECREF(out); return semseg_py_raise(st, err); }
    return (PyObject *)out;
}

static PyObject *py_unet_set_parameters(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *hobj, *vobj;
    if (!PyArg_ParseTuple(args, "OO", &hobj, &vobj)) return NULL;
    semseg_unet_t *h = semseg_py_get_unet(hobj);
    if (h == NULL) return NULL;
    PyArrayObject *v = semseg_py_float_array_as(vobj, NPY_FLOAT32, "values");
    if (v == NULL) return NULL;
    if (PyArray_NDIM(v) != 1) {
        PyErr_Format(PyExc_ValueError, "values: expected a 1-D array, got %d dimensions", PyArray_NDIM(v));
        Py_DECREF(v);
        return NULL;
    }
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    static const float empty = 0;
    const float *data = PyArray_SIZE(v) > 0 ? (const float *)PyArray_DATA(v) : &empty;
    int64_t len = (int64_t)PyArray_SIZE(v);
    Py_BEGIN_ALLOW_THREADS
    st = semseg_unet_set_parameters(h, data, len, err, sizeof err);
    Py_END_ALLOW_THREADS
    Py_DECREF(v);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    Py_RETURN_NONE;
}

static PyObject *py_unet_save(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *hobj, *path = NULL;
    if (!PyArg_ParseTuple(args, "OO&", &hobj, PyUnicode_FSConverter, &path)) return NULL;
    semseg_unet_t *h = semseg_py_get_unet(hobj);
    if (h == NULL) { Py_DECREF(path); return NULL; }
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    st = semseg_unet_save(h, p, err, sizeof err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    Py_RETURN_NONE;
}

static PyObject *py_unet_load(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path = NULL;
    long long threads;
    if (!PyArg_ParseTuple(args, "O&L", PyUnicode_FSConverter, &path, &threads)) return NULL;
    semseg_unet_t *h = NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    st = semseg_unet_load(p, threads, &h, err, sizeof err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return semseg_py_wrap_unet(h);
}


static PyObject *py_training_codes(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    return Py_BuildValue("{s:{s:i,s:i,s:i,s:i},s:{s:i,s:i,s:i,s:i}}",
                         "predict", "logits", SEMSEG_PREDICT_LOGITS, "probabilities", SEMSEG_PREDICT_PROBABILITIES,
                         "mask", SEMSEG_PREDICT_MASK, "softmax", SEMSEG_PREDICT_SOFTMAX,
                         "monitor", "val_loss", SEMSEG_MONITOR_VAL_LOSS, "val_iou", SEMSEG_MONITOR_VAL_IOU,
                         "val_dice", SEMSEG_MONITOR_VAL_DICE, "val_accuracy", SEMSEG_MONITOR_VAL_ACCURACY);
}

static PyObject *py_blas_kernels(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    char core[64], faster[64];
    semseg_blas_kernels(core, sizeof core, faster, sizeof faster);
    return Py_BuildValue("(ss)", core, faster);
}

PyMethodDef semseg_py_training_methods[] = {
    {"blas_kernels", py_blas_kernels, METH_NOARGS,
     "blas_kernels() -> (OpenBLAS core name, faster OPENBLAS_CORETYPE or '')"},
    {"training_codes", py_training_codes, METH_NOARGS,
     "training_codes() -> {'predict': {name: code}, 'monitor': {name: code}}"},
    {"unet_create", py_unet_create, METH_VARARGS,
     "unet_create(in_channels, out_channels, base_channels, depth, batch_norm, seed, threads) -> handle"},
    {"unet_info", py_unet_info, METH_O, "unet_info(model) -> dict"},
    {"unet_predict", py_unet_predict, METH_VARARGS,
     "unet_predict(model, x, output_code, threshold, batch_size) -> float32 (N, out_channels, H, W)"},
    {"unet_get_parameters", py_unet_get_parameters, METH_O, "unet_get_parameters(model) -> float32 (P,)"},
    {"unet_set_parameters", py_unet_set_parameters, METH_VARARGS, "unet_set_parameters(model, values)"},
    {"unet_save", py_unet_save, METH_VARARGS, "unet_save(model, path)"},
    {"unet_load", py_unet_load, METH_VARARGS, "unet_load(path, threads) -> handle"},
    {"trainer_create", semseg_py_trainer_create, METH_VARARGS,
     "trainer_create(model, loss, options, lr, batch_size, seed, weight_decay, threshold) -> handle"},
    {"trainer_set_loss", semseg_py_trainer_set_loss, METH_VARARGS, "trainer_set_loss(trainer, loss, options)"},
    {"trainer_model", semseg_py_trainer_model, METH_O, "trainer_model(trainer) -> model handle"},
    {"trainer_info", semseg_py_trainer_info, METH_O, "trainer_info(trainer) -> dict"},
    {"trainer_train_epoch", semseg_py_trainer_train_epoch, METH_VARARGS,
     "trainer_train_epoch(trainer, x, y) -> mean loss"},
    {"trainer_begin_epoch", semseg_py_trainer_begin_epoch, METH_VARARGS,
     "trainer_begin_epoch(trainer, x, y) -> n_batches"},
    {"trainer_train_batches", semseg_py_trainer_train_batches, METH_VARARGS,
     "trainer_train_batches(trainer, x, y, n_batches) -> (batches_done, mean_loss)"},
    {"trainer_end_epoch", semseg_py_trainer_end_epoch, METH_VARARGS,
     "trainer_end_epoch(trainer, val_x, val_y, monitor, patience, min_delta, checkpoint) -> (record, stop)"},
    {"trainer_abort_epoch", semseg_py_trainer_abort_epoch, METH_O, "trainer_abort_epoch(trainer)"},
    {"trainer_should_stop", semseg_py_trainer_should_stop, METH_VARARGS,
     "trainer_should_stop(trainer, monitor, patience) -> bool"},
    {"trainer_evaluate", semseg_py_trainer_evaluate, METH_VARARGS,
     "trainer_evaluate(trainer, x, y, batch_size) -> {'loss', 'iou', 'dice', 'accuracy'}"},
    {"trainer_history", semseg_py_trainer_history, METH_O, "trainer_history(trainer) -> list of dicts"},
    {"trainer_save", semseg_py_trainer_save, METH_VARARGS, "trainer_save(trainer, path)"},
    {"trainer_load", semseg_py_trainer_load, METH_VARARGS, "trainer_load(path, loss, options, threads) -> handle"},
    {NULL, NULL, 0, NULL},
};
