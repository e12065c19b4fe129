/* Trainer handles: marshalling over the semseg_trainer_* creation, state and checkpoint calls
 * of semsegloss.h (GIL released around every Swift call). Method table entries are in
 * training.c; the epoch calls are in trainer_epochs.c. */
#include "training.h"

PyObject *semseg_py_trainer_create(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *mobj, *options_obj, *seed_obj;
    const char *loss;
    double lr, weight_decay, threshold;
    long long batch_size;
    if (!PyArg_ParseTuple(args, "OsOdLOdd", &mobj, &loss, &options_obj, &lr, &batch_size, &seed_obj, &weight_decay,
                          &threshold))
        return NULL;
    semseg_unet_t *m = semseg_py_get_unet(mobj);
    if (m == NULL) return NULL;
    uint64_t seed;
    if (semseg_py_parse_seed(seed_obj, &seed) < 0) return NULL;
    semseg_option_t options[SEMSEG_PY_MAX_OPTIONS];
    Py_ssize_t n = semseg_py_options(options_obj, options, SEMSEG_PY_MAX_OPTIONS);
    if (n < 0) return NULL;
    semseg_trainer_t *h = NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_create(m, loss, options, (int64_t)n, lr, batch_size, seed, weight_decay, threshold, &h, err,
                               sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return semseg_py_wrap_trainer(h);
}

PyObject *semseg_py_trainer_set_loss(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tobj, *options_obj;
    const char *loss;
    if (!PyArg_ParseTuple(args, "OsO", &tobj, &loss, &options_obj)) return NULL;
    semseg_trainer_t *t = semseg_py_get_trainer(tobj);
    if (t == NULL) return NULL;
    semseg_option_t options[SEMSEG_PY_MAX_OPTIONS];
    Py_ssize_t n = semseg_py_options(options_obj, options, SEMSEG_PY_MAX_OPTIONS);
    if (n < 0) return NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_set_loss(t, loss, options, (int64_t)n, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    Py_RETURN_NONE;
}

PyObject *semseg_py_trainer_model(PyObject *self, PyObject *arg) {
    (void)self;
    semseg_trainer_t *t = semseg_py_get_trainer(arg);
    if (t == NULL) return NULL;
    semseg_unet_t *h = NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st = semseg_trainer_model(t, &h, err, sizeof err);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return semseg_py_wrap_unet(h);
}

PyObject *semseg_py_trainer_info(PyObject *self, PyObject *arg) {
    (void)self;
    semseg_trainer_t *t = semseg_py_get_trainer(arg);
    if (t == NULL) return NULL;
    semseg_trainer_info_t i;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS /* waits for the model's lock */
    st = semseg_trainer_info(t, &i, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return Py_BuildValue("{s:L,s:L,s:L,s:K,s:d,s:d,s:d,s:L,s:L,s:O}", "epoch", (long long)i.epoch, "step",
                         (long long)i.step, "batch_size", (long long)i.batch_size, "seed",
                         (unsigned long long)i.seed, "lr", i.learning_rate, "weight_decay", i.weight_decay,
                         "threshold", i.threshold, "history_length", (long long)i.history_length,
                         "epochs_without_improvement", (long long)i.epochs_without_improvement,
                         "epoch_in_progress", i.epoch_in_progress ? Py_True : Py_False);
}

PyObject *semseg_py_trainer_history(PyObject *self, PyObject *arg) {
    (void)self;
    semseg_trainer_t *t = semseg_py_get_trainer(arg);
    if (t == NULL) return NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    int64_t count = 0;
    semseg_epoch_record_t *records = NULL;
    semseg_status_t st;
    /* Ask for the length, then copy; retry if another thread added epochs in between. */
    for (;;) {
        int64_t capacity = count;
        Py_BEGIN_ALLOW_THREADS
        st = semseg_trainer_history(t, records, capacity, &count, err, sizeof err);
        Py_END_ALLOW_THREADS
        if (st != SEMSEG_OK) { PyMem_Free(records); return semseg_py_raise(st, err); }
        if (count <= capacity) break;
        PyMem_Free(records);
        records = PyMem_New(semseg_epoch_record_t, (size_t)count);
        if (records == NULL) return PyErr_NoMemory();
    }
    PyObject *list = PyList_New((Py_ssize_t)count);
    for (int64_t i = 0; list != NULL && i < count; i++) {
        PyObject *d = semseg_py_record_dict(&records[i]);
        if (d == NULL) { Py_CLEAR(list); break; }
        PyList_SET_ITEM(list, (Py_ssize_t)i, d);
    }
    PyMem_Free(records);
    return list;
}

PyObject *semseg_py_trainer_save(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tobj, *path = NULL;
    if (!PyArg_ParseTuple(args, "OO&", &tobj, PyUnicode_FSConverter, &path)) return NULL;
    semseg_trainer_t *t = semseg_py_get_trainer(tobj);
    if (t == NULL) { Py_DECREF(path); return NULL; }
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_save(t, p, err, sizeof err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    Py_RETURN_NONE;
}

PyObject *semseg_py_trainer_load(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path = NULL, *options_obj;
    const char *loss;
    long long threads;
    if (!PyArg_ParseTuple(args, "O&sOL", PyUnicode_FSConverter, &path, &loss, &options_obj, &threads)) return NULL;
    semseg_option_t options[SEMSEG_PY_MAX_OPTIONS];
    Py_ssize_t n = semseg_py_options(options_obj, options, SEMSEG_PY_MAX_OPTIONS);
    if (n < 0) { Py_DECREF(path); return NULL; }
    semseg_trainer_t *h = NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_load(p, loss, options, (int64_t)n, threads, &h, err, sizeof err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return semseg_py_wrap_trainer(h);
}
