/* _core.deep_supervision_loss(name, inputs, target, options=None, weight_mode=1, weights=None,
 *                             return_grad=False) -> (value: float, grads: list[ndarray] | None)
 * Marshalling only: a sequence of arrays and the target in, the Swift library resizes the
 * target and computes, arrays out (GIL released). */
#include "semseg_py.h"

#define SEMSEG_PY_MAX_LEVELS 64

static PyObject *semseg_py_deep_supervision_loss(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"name", "inputs", "target", "options", "weight_mode", "weights", "return_grad", NULL};
    const char *name;
    PyObject *inputs_obj, *target_obj, *options_obj = Py_None, *weights_obj = Py_None;
    int weight_mode = SEMSEG_DS_WEIGHTS_EXP, return_grad = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sOO|OiOp", kwlist, &name, &inputs_obj, &target_obj,
                                     &options_obj, &weight_mode, &weights_obj, &return_grad))
        return NULL;

    PyArrayObject *x[SEMSEG_PY_MAX_LEVELS] = {NULL}, *grad[SEMSEG_PY_MAX_LEVELS] = {NULL};
    PyArrayObject *t = NULL, *w = NULL;
    PyObject *seq = NULL, *result = NULL, *grads_list = NULL;
    semseg_option_t options[SEMSEG_PY_MAX_OPTIONS];
    semseg_tensor_t xt[SEMSEG_PY_MAX_LEVELS], tt;
    int64_t xshape[SEMSEG_PY_MAX_LEVELS][NPY_MAXDIMS], tshape[NPY_MAXDIMS];
    void *grad_data[SEMSEG_PY_MAX_LEVELS] = {NULL};
    char err[SEMSEG_PY_ERR_LEN] = {0};
    char argname[32];
    Py_ssize_t levels = 0;

    if (PyArray_Check(inputs_obj) || !PySequence_Check(inputs_obj)) {
        PyErr_SetString(PyExc_TypeError, "inputs: expected a list or tuple of arrays, one per level");
        goto done;
    }
    /* A tuple copy: converting a level may run Python code (__array__) that changes the
     * caller's list, and a list taken as is could then be read past its end. */
    seq = PySequence_Tuple(inputs_obj);
    if (seq == NULL) goto done;
    levels = PySequence_Fast_GET_SIZE(seq);
    if (levels < 1 || levels > SEMSEG_PY_MAX_LEVELS) {
        PyErr_Format(PyExc_ValueError, "inputs: needs 1 to %d levels, got %zd", SEMSEG_PY_MAX_LEVELS, levels);
        goto done;
    }
    for (Py_ssize_t l = 0; l < levels; l++) {
        snprintf(argname, sizeof argname, "inputs[%zd]", l);
        PyObject *item = PySequence_Fast_GET_ITEM(seq, l);
        x[l] = l == 0 ? semseg_py_float_array(item, argname)
                      : semseg_py_float_array_as(item, PyArray_TYPE(x[0]), argname);
        if (x[l] == NULL) goto done;
        if (semseg_py_describe(x[l], &xt[l], xshape[l], argname) < 0) goto done;
    }
    /* The target keeps its own spatial size: an integer array with one axis less than the
     * inputs is a label map (int64), anything else takes the inputs' float type. */
    t = semseg_py_target_array(target_obj, x[0], "target");
    if (t == NULL) goto done;
    if (semseg_py_describe(t, &tt, tshape, "target") < 0) goto done;
    Py_ssize_t n_options = semseg_py_options(options_obj, options, SEMSEG_PY_MAX_OPTIONS);
    if (n_options < 0) goto done;
    if (weights_obj != Py_None) {
        w = semseg_py_float_array_as(weights_obj, NPY_FLOAT64, "weights");
        if (w == NULL) goto done;
        if (PyArray_NDIM(w) != 1 || PyArray_DIMS(w)[0] != levels) {
            PyErr_Format(PyExc_ValueError, "weights: expected one weight per level (%zd), got %zd", levels,
                         (Py_ssize_t)PyArray_SIZE(w));
            goto done;
        }
    }
    if (return_grad) {
        for (Py_ssize_t l = 0; l < levels; l++) {
            grad[l] = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(x[l]), PyArray_DIMS(x[l]), PyArray_TYPE(x[l]));
            if (grad[l] == NULL) goto done;
            grad_data[l] = PyArray_DATA(grad[l]);
        }
    }

    double value = 0.0;
    const double *weights = w ? (const double *)PyArray_DATA(w) : NULL;
    semseg_status_t st;
    Py_BEGIN_ALLOW_THREADS
    st = semseg_deep_supervision_loss(name, options, (int64_t)n_options, xt, (int64_t)levels, &tt, weight_mode,
                                      weights, &value, return_grad ? grad_data : NULL, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }

    if (return_grad) {
        grads_list = PyList_New(levels);
        if (grads_list == NULL) goto done;
        for (Py_ssize_t l = 0; l < levels; l++) {
            PyList_SET_ITEM(grads_list, l, (PyObject *)grad[l]); /* steals */
            grad[l] = NULL;
        }
    }
    result = Py_BuildValue("(dO)", value, grads_list ? grads_list : Py_None);

done:
    for (Py_ssize_t l = 0; l < SEMSEG_PY_MAX_LEVELS; l++) {
        Py_XDECREF(x[l]);
        Py_XDECREF(grad[l]);
    }
    Py_XDECREF(t);
    Py_XDECREF(w);
    Py_XDECREF(seq);
    Py_XDECREF(grads_list);
    return result;
}

PyMethodDef semseg_py_deep_supervision_methods[] = {
    {"deep_supervision_loss", (PyCFunction)(void (*)(void))semseg_py_deep_supervision_loss, METH_VARARGS | METH_KEYWORDS,
     "deep_supervision_loss(name, inputs, target, options=None, weight_mode=1, weights=None, return_grad=False)"
     " -> (value, grads)"},
    {NULL, NULL, 0, NULL},
};
