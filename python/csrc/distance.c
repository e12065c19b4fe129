/* Distance transforms and surface metrics (issue 4): marshalling over the distance
 * section of semsegloss.h.
 *
 * _core.distance_transform_edt(mask, spatial_ndim, sampling=None) -> float64 ndarray
 * _core.signed_distance(mask, spatial_ndim, sampling, convention, degenerate) -> float64 ndarray
 * _core.surface_metric(name, input, target, options=None, spacing=None) -> (value, values | None)
 * _core.surface_metric_names() -> list[str]
 *
 * `mask` must already be a uint8 or bool array (the Python layer converts and validates
 * other dtypes); `sampling`/`spacing` a sequence of floats or None. */
#include "semseg_py.h"

/* Converts a sequence of numbers (or None) into a C array; returns the count or -1. */
static int read_spacing(PyObject *obj, double *out, int capacity, const char *argname) {
    if (obj == NULL || obj == Py_None) return 0;
    PyArrayObject *arr = semseg_py_float_array_as(obj, NPY_FLOAT64, argname);
    if (arr == NULL) return -1;
    if (PyArray_NDIM(arr) != 1 || PyArray_SIZE(arr) > capacity) {
        PyErr_Format(PyExc_ValueError, "%s: expected a sequence of at most %d numbers (one per spatial axis)",
                     argname, capacity);
        Py_DECREF(arr);
        return -1;
    }
    int n = (int)PyArray_SIZE(arr);
    const double *data = (const double *)PyArray_DATA(arr);
    for (int i = 0; i < n; i++) out[i] = data[i];
    Py_DECREF(arr);
    return n;
}

/* Borrows the mask as uint8 (bool arrays are reinterpreted, not copied when contiguous). */
static PyArrayObject *mask_array(PyObject *obj) {
    if (PyArray_Check(obj) && PyArray_TYPE((PyArrayObject *)obj) == NPY_BOOL) {
        PyArrayObject *c = (PyArrayObject *)PyArray_FROM_OF(obj, NPY_ARRAY_IN_ARRAY);
        if (c == NULL) return NULL;
        PyArray_Descr *u8 = PyArray_DescrFromType(NPY_UINT8);
        PyObject *view = PyArray_View(c, u8, NULL);
        Py_DECREF(c);
        return (PyArrayObject *)view;
    }
    if (!PyArray_Check(obj) || PyArray_TYPE((PyArrayObject *)obj) != NPY_UINT8) {
        PyErr_SetString(PyExc_TypeError, "mask: expected a bool or uint8 array");
        return NULL;
    }
    return semseg_py_array_as(obj, NPY_UINT8, "mask");
}

static PyObject *run_distance(PyObject *mask_obj, int spatial_ndim, PyObject *sampling_obj, int signed_kind,
                              int convention, int degenerate) {
    double sampling[8];
    int n_sampling = read_spacing(sampling_obj, sampling, 8, "sampling");
    if (n_sampling < 0) return NULL;
    PyArrayObject *mask = mask_array(mask_obj);
    if (mask == NULL) return NULL;
    PyArrayObject *out = NULL;
    int64_t shape[NPY_MAXDIMS];
    semseg_tensor_t mt;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    if (semseg_py_describe(mask, &mt, shape, "mask") < 0) goto fail;
    out = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(mask), PyArray_DIMS(mask), NPY_FLOAT64);
    if (out == NULL) goto fail;
    double *out_data = PyArray_SIZE(out) > 0 ? (double *)PyArray_DATA(out) : sampling; /* rejected below */
    int64_t out_len = (int64_t)PyArray_SIZE(out);
    const double *sp = n_sampling > 0 ? sampling : NULL;
    Py_BEGIN_ALLOW_THREADS
    if (signed_kind)
        st = semseg_signed_distance(&mt, spatial_ndim, sp, n_sampling, convention, degenerate, out_data, out_len,
                                    err, sizeof err);
    else
        st = semseg_distance_transform_edt(&mt, spatial_ndim, sp, n_sampling, out_data, out_len, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto fail; }
    Py_DECREF(mask);
    return (PyObject *)out;
fail:
    Py_XDECREF(mask);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *py_edt(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"mask", "spatial_ndim", "sampling", NULL};
    PyObject *mask_obj, *sampling_obj = Py_None;
    int spatial_ndim;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oi|O", kwlist, &mask_obj, &spatial_ndim, &sampling_obj))
        return NULL;
    return run_distance(mask_obj, spatial_ndim, sampling_obj, 0, 0, 0);
}

static PyObject *py_signed_distance(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"mask", "spatial_ndim", "sampling", "convention", "degenerate", NULL};
    PyObject *mask_obj, *sampling_obj = Py_None;
    int spatial_ndim, convention = SEMSEG_SDF_BOUNDARY_LOSS, degenerate = SEMSEG_DEGENERATE_ZERO;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oi|Oii", kwlist, &mask_obj, &spatial_ndim, &sampling_obj,
                                     &convention, &degenerate))
        return NULL;
    return run_distance(mask_obj, spatial_ndim, sampling_obj, 1, convention, degenerate);
}

static PyObject *py_surface_metric(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"name", "input", "target", "options", "spacing", NULL};
    const char *name;
    PyObject *input_obj, *target_obj, *options_obj = Py_None, *spacing_obj = Py_None, *result = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sOO|OO", kwlist, &name, &input_obj, &target_obj, &options_obj,
                                     &spacing_obj))
        return NULL;
    double spacing[8];
    int n_spacing = read_spacing(spacing_obj, spacing, 8, "spacing");
    if (n_spacing < 0) return NULL;
    PyArrayObject *x = NULL, *t = NULL, *values = NULL;
    semseg_option_t options[SEMSEG_PY_MAX_OPTIONS];
    int64_t xshape[NPY_MAXDIMS], tshape[NPY_MAXDIMS], out_shape[8];
    int32_t out_ndim = 0;
    semseg_tensor_t xt, tt;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;
    x = semseg_py_float_array(input_obj, "input");
    if (x == NULL) goto done;
    t = semseg_py_target_array(target_obj, x, "target");
    if (t == NULL) goto done;
    Py_ssize_t n_options = semseg_py_options(options_obj, options, SEMSEG_PY_MAX_OPTIONS);
    if (n_options < 0) goto done;
    if (semseg_py_describe(x, &xt, xshape, "input") < 0) goto done;
    if (semseg_py_describe(t, &tt, tshape, "target") < 0) goto done;
    st = semseg_surface_metric_output_shape(name, options, (int64_t)n_options, &xt, out_shape, &out_ndim, err,
                                            sizeof err);
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }
    int64_t entries = 0;
    if (out_ndim > 0) {
        npy_intp dims[8];
        entries = 1;
        for (int i = 0; i < out_ndim; i++) { dims[i] = (npy_intp)out_shape[i]; entries *= out_shape[i]; }
        values = (PyArrayObject *)PyArray_SimpleNew(out_ndim, dims, NPY_FLOAT64);
        if (values == NULL) goto done;
    }
    double value = 0.0;
    double *values_data = values ? (double *)PyArray_DATA(values) : NULL;
    const double *sp = n_spacing > 0 ? spacing : NULL;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_surface_metric(name, options, (int64_t)n_options, &xt, &tt, sp, n_spacing, &value, values_data,
                               entries, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }
    result = Py_BuildValue("(dO)", value, values ? (PyObject *)values : Py_None);
done:
    Py_XDECREF(x);
    Py_XDECREF(t);
    Py_XDECREF(values);
    return result;
}

static PyObject *py_surface_metric_names(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    PyObject *list = PyList_New(0);
    if (list == NULL) return NULL;
    for (int32_t i = 0; i < semseg_surface_metric_count(); i++) {
        PyObject *s = PyUnicode_FromString(semseg_surface_metric_name(i));
        if (s == NULL || PyList_Append(list, s) < 0) { Py_XDECREF(s); Py_DECREF(list); return NULL; }
        Py_DECREF(s);
    }
    return list;
}

PyMethodDef semseg_py_distance_methods[] = {
    {"distance_transform_edt", (PyCFunction)(void (*)(void))py_edt, METH_VARARGS | METH_KEYWORDS,
     "distance_transform_edt(mask, spatial_ndim, sampling=None) -> float64 array"},
    {"signed_distance", (PyCFunction)(void (*)(void))py_signed_distance, METH_VARARGS | METH_KEYWORDS,
     "signed_distance(mask, spatial_ndim, sampling=None, convention=0, degenerate=0) -> float64 array"},
    {"surface_metric", (PyCFunction)(void (*)(void))py_surface_metric, METH_VARARGS | METH_KEYWORDS,
     "surface_metric(name, input, target, options=None, spacing=None) -> (value, values)"},
    {"surface_metric_names", py_surface_metric_names, METH_NOARGS, "Names of the surface metrics."},
    {NULL, NULL, 0, NULL},
};
