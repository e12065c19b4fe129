/* _core.metric(name, input, target, options) -> (value: float, values: ndarray | None)
 * _core.confusion_counts(input, target, options) -> int64 ndarray (..., 4) */
#include "semseg_py.h"

/* Converts input/target and options; returns 0 or -1 with an exception set. */
static int prepare(PyObject *input_obj, PyObject *target_obj, PyObject *options_obj, PyArrayObject **x,
                   PyArrayObject **t, semseg_tensor_t *xt, semseg_tensor_t *tt, int64_t *xshape,
                   int64_t *tshape, semseg_option_t *options, Py_ssize_t *n_options) {
    *x = semseg_py_float_array(input_obj, "input");
    if (*x == NULL) return -1;
    *t = semseg_py_target_array(target_obj, *x, "target");
    if (*t == NULL) return -1;
    *n_options = semseg_py_options(options_obj, options, SEMSEG_PY_MAX_OPTIONS - 1);
    if (*n_options < 0) return -1;
    if (semseg_py_describe(*x, xt, xshape, "input") < 0) return -1;
    if (semseg_py_describe(*t, tt, tshape, "target") < 0) return -1;
    return 0;
}

static PyObject *semseg_py_metric(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"name", "input", "target", "options", NULL};
    const char *name;
    PyObject *input_obj, *target_obj, *options_obj = Py_None, *result = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sOO|O", kwlist, &name, &input_obj, &target_obj, &options_obj))
        return NULL;
    PyArrayObject *x = NULL, *t = NULL, *values = NULL;
    semseg_option_t options[SEMSEG_PY_MAX_OPTIONS];
    Py_ssize_t n_options = 0;
    int64_t xshape[NPY_MAXDIMS], tshape[NPY_MAXDIMS], out_shape[8];
    int32_t out_ndim = 0;
    semseg_tensor_t xt, tt;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    if (prepare(input_obj, target_obj, options_obj, &x, &t, &xt, &tt, xshape, tshape, options, &n_options) < 0)
        goto done;
    st = semseg_metric_output_shape(name, options, (int64_t)n_options, &xt, out_shape, &out_ndim, err, sizeof err);
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }
    if (out_ndim > 0) {
        npy_intp dims[8];
        for (int i = 0; i < out_ndim; i++) dims[i] = (npy_intp)out_shape[i];
        values = (PyArrayObject *)PyArray_SimpleNew(out_ndim, dims, NPY_FLOAT64);
        if (values == NULL) goto done;
    }
    double value = 0.0;
    double *values_data = values ? (double *)PyArray_DATA(values) : NULL;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_metric(name, options, (int64_t)n_options, &xt, &tt, &value, values_data, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }
    result = Py_BuildValue("(dO)", value, values ? (PyObject *)values : Py_None);
done:
    Py_XDECREF(x);
    Py_XDECREF(t);
    Py_XDECREF(values);
    return result;
}

static PyObject *semseg_py_confusion_counts(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"input", "target", "options", NULL};
    PyObject *input_obj, *target_obj, *options_obj = Py_None, *result = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O", kwlist, &input_obj, &target_obj, &options_obj))
        return NULL;
    PyArrayObject *x = NULL, *t = NULL, *out = NULL;
    semseg_option_t options[SEMSEG_PY_MAX_OPTIONS];
    Py_ssize_t n_options = 0;
    int64_t xshape[NPY_MAXDIMS], tshape[NPY_MAXDIMS], out_shape[8];
    int32_t out_ndim = 0;
    semseg_tensor_t xt, tt;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    if (prepare(input_obj, target_obj, options_obj, &x, &t, &xt, &tt, xshape, tshape, options, &n_options) < 0)
        goto done;
    /* Entry shape: ask the per-entry shape of a metric with reduction "none". */
    options[n_options].name = "reduction";
    options[n_options].value = SEMSEG_REDUCTION_NONE;
    st = semseg_metric_output_shape("iou", options, (int64_t)n_options + 1, &xt, out_shape, &out_ndim, err, sizeof err);
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }
    npy_intp dims[9];
    int64_t entries = 1;
    for (int i = 0; i < out_ndim; i++) { dims[i] = (npy_intp)out_shape[i]; entries *= out_shape[i]; }
    dims[out_ndim] = 4;
    out = (PyArrayObject *)PyArray_SimpleNew(out_ndim + 1, dims, NPY_INT64);
    if (out == NULL) goto done;
    int64_t *out_data = (int64_t *)PyArray_DATA(out);
    Py_BEGIN_ALLOW_THREADS
    st = semseg_confusion_counts(options, (int64_t)n_options, &xt, &tt, out_data, entries * 4, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }
    result = (PyObject *)out;
    out = NULL;
done:
    Py_XDECREF(x);
    Py_XDECREF(t);
    Py_XDECREF(out);
    return result;
}

PyMethodDef semseg_py_metric_methods[] = {
    {"metric", (PyCFunction)(void (*)(void))semseg_py_metric, METH_VARARGS | METH_KEYWORDS,
     "metric(name, input, target, options=None) -> (value, values)"},
    {"confusion_counts", (PyCFunction)(void (*)(void))semseg_py_confusion_counts, METH_VARARGS | METH_KEYWORDS,
     "confusion_counts(input, target, options=None) -> int64 array (..., 4) of TP, FP, FN, TN"},
    {NULL, NULL, 0, NULL},
};
