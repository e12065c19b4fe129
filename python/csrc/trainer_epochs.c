/* Trainer epochs: marshalling over the semseg_trainer_* epoch, batch, early-stopping and
 * evaluation calls of semsegloss.h (GIL released around every Swift call). Method table
 * entries are in training.c; creation, state and checkpoints are in trainer.c. */
#include "training.h"

/* Opens x and y as float32 arguments named `xname` / `yname`. */
static int open_pair(semseg_py_f32_arg *x, semseg_py_f32_arg *y, PyObject *xobj, PyObject *yobj,
                     const char *xname, const char *yname) {
    if (semseg_py_f32_open(x, xobj, xname) < 0) return -1;
    return semseg_py_f32_open(y, yobj, yname);
}

static void close_pair(semseg_py_f32_arg *x, semseg_py_f32_arg *y) {
    semseg_py_f32_close(x);
    semseg_py_f32_close(y);
}

PyObject *semseg_py_trainer_train_epoch(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tobj, *xobj, *yobj;
    if (!PyArg_ParseTuple(args, "OOO", &tobj, &xobj, &yobj)) return NULL;
    semseg_trainer_t *t = semseg_py_get_trainer(tobj);
    if (t == NULL) return NULL;
    semseg_py_f32_arg x = {0}, y = {0};
    if (open_pair(&x, &y, xobj, yobj, "x", "y") < 0) { close_pair(&x, &y); return NULL; }
    double loss = 0;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_train_epoch(t, &x.t, &y.t, &loss, err, sizeof err);
    Py_END_ALLOW_THREADS
    close_pair(&x, &y);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return PyFloat_FromDouble(loss);
}

PyObject *semseg_py_trainer_begin_epoch(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tobj, *xobj, *yobj;
    if (!PyArg_ParseTuple(args, "OOO", &tobj, &xobj, &yobj)) return NULL;
    semseg_trainer_t *t = semseg_py_get_trainer(tobj);
    if (t == NULL) return NULL;
    semseg_py_f32_arg x = {0}, y = {0};
    if (open_pair(&x, &y, xobj, yobj, "x", "y") < 0) { close_pair(&x, &y); return NULL; }
    int64_t n = 0;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_begin_epoch(t, &x.t, &y.t, &n, err, sizeof err);
    Py_END_ALLOW_THREADS
    close_pair(&x, &y);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return PyLong_FromLongLong((long long)n);
}

PyObject *semseg_py_trainer_train_batches(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tobj, *xobj, *yobj;
    long long n;
    if (!PyArg_ParseTuple(args, "OOOL", &tobj, &xobj, &yobj, &n)) return NULL;
    semseg_trainer_t *t = semseg_py_get_trainer(tobj);
    if (t == NULL) return NULL;
    semseg_py_f32_arg x = {0}, y = {0};
    if (open_pair(&x, &y, xobj, yobj, "x", "y") < 0) { close_pair(&x, &y); return NULL; }
    int64_t done = 0;
    double mean = 0;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_train_batches(t, &x.t, &y.t, n, &done, &mean, err, sizeof err);
    Py_END_ALLOW_THREADS
    close_pair(&x, &y);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return Py_BuildValue("(Ld)", (long long)done, mean);
}

PyObject *semseg_py_trainer_end_epoch(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tobj, *vxobj, *vyobj, *ckpt_obj;
    int monitor;
    long long patience;
    double min_delta;
    if (!PyArg_ParseTuple(args, "OOOiLdO", &tobj, &vxobj, &vyobj, &monitor, &patience, &min_delta, &ckpt_obj))
        return NULL;
    semseg_trainer_t *t = semseg_py_get_trainer(tobj);
    if (t == NULL) return NULL;
    if ((vxobj == Py_None) != (vyobj == Py_None)) {
        PyErr_SetString(PyExc_ValueError, "validation_data: give both x and y, or neither");
        return NULL;
    }
    PyObject *ckpt = NULL;
    if (ckpt_obj != Py_None && !PyUnicode_FSConverter(ckpt_obj, &ckpt)) return NULL;
    semseg_py_f32_arg x = {0}, y = {0};
    int has_validation = vxobj != Py_None;
    if (has_validation && open_pair(&x, &y, vxobj, vyobj, "validation_data[0]", "validation_data[1]") < 0) {
        close_pair(&x, &y);
        Py_XDECREF(ckpt);
        return NULL;
    }
    semseg_epoch_record_t record;
    int32_t stop = 0;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    const char *path = ckpt ? PyBytes_AS_STRING(ckpt) : NULL;
    const semseg_tensor_t *vx = has_validation ? &x.t : NULL, *vy = has_validation ? &y.t : NULL;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_end_epoch(t, vx, vy, monitor, patience, min_delta, path, &record, &stop, err, sizeof err);
    Py_END_ALLOW_THREADS
    close_pair(&x, &y);
    Py_XDECREF(ckpt);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    PyObject *rec = semseg_py_record_dict(&record);
    if (rec == NULL) return NULL;
    return Py_BuildValue("(NO)", rec, stop ? Py_True : Py_False);
}

PyObject *semseg_py_trainer_abort_epoch(PyObject *self, PyObject *arg) {
    (void)self;
    semseg_trainer_t *t = semseg_py_get_trainer(arg);
    if (t == NULL) return NULL;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_abort_epoch(t, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    Py_RETURN_NONE;
}

PyObject *semseg_py_trainer_should_stop(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tobj;
    int monitor;
    long long patience;
    if (!PyArg_ParseTuple(args, "OiL", &tobj, &monitor, &patience)) return NULL;
    semseg_trainer_t *t = semseg_py_get_trainer(tobj);
    if (t == NULL) return NULL;
    int32_t stop = 0;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_should_stop(t, monitor, patience, &stop, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return PyBool_FromLong(stop);
}

PyObject *semseg_py_trainer_evaluate(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tobj, *xobj, *yobj;
    long long batch_size;
    if (!PyArg_ParseTuple(args, "OOOL", &tobj, &xobj, &yobj, &batch_size)) return NULL;
    semseg_trainer_t *t = semseg_py_get_trainer(tobj);
    if (t == NULL) return NULL;
    semseg_py_f32_arg x = {0}, y = {0};
    if (open_pair(&x, &y, xobj, yobj, "x", "y") < 0) { close_pair(&x, &y); return NULL; }
    semseg_scores_t s;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_trainer_evaluate(t, &x.t, &y.t, batch_size, &s, err, sizeof err);
    Py_END_ALLOW_THREADS
    close_pair(&x, &y);
    if (st != SEMSEG_OK) return semseg_py_raise(st, err);
    return Py_BuildValue("{s:d,s:d,s:d,s:d}", "loss", s.loss, "iou", s.iou, "dice", s.dice, "accuracy", s.accuracy);
}
