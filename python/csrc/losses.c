/* _core.loss(name, input, target, options, return_grad=False, grad_output=None, mask=None)
 *   -> (value: float, values: ndarray | None, grad: ndarray | None)
 * With a mask (voxel weights of the overlap losses) the call goes to semseg_masked_loss.
 * Marshalling only: arrays in, the Swift library computes, arrays out (GIL released). */
#include "semseg_py.h"

static PyObject *semseg_py_loss(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"name", "input", "target", "options", "return_grad", "grad_output", "mask", NULL};
    const char *name;
    PyObject *input_obj, *target_obj, *options_obj = Py_None, *grad_output_obj = Py_None, *mask_obj = Py_None;
    int return_grad = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sOO|OpOO", kwlist, &name, &input_obj, &target_obj,
                                     &options_obj, &return_grad, &grad_output_obj, &mask_obj))
        return NULL;

    PyArrayObject *x = NULL, *t = NULL, *m = NULL, *go = NULL, *values = NULL, *grad = NULL;
    PyObject *result = NULL;
    semseg_option_t options[SEMSEG_PY_MAX_OPTIONS];
    int64_t xshape[NPY_MAXDIMS], tshape[NPY_MAXDIMS], mshape[NPY_MAXDIMS], out_shape[8];
    int32_t out_ndim = 0;
    semseg_tensor_t xt, tt, mt;
    char err[SEMSEG_PY_ERR_LEN] = {0};
    semseg_status_t st;

    x = semseg_py_float_array(input_obj, "input");
    if (x == NULL) goto done;
    int typenum = PyArray_TYPE(x);
    t = semseg_py_target_array(target_obj, x, "target");
    if (t == NULL) goto done;
    Py_ssize_t n_options = semseg_py_options(options_obj, options, SEMSEG_PY_MAX_OPTIONS);
    if (n_options < 0) goto done;
    if (semseg_py_describe(x, &xt, xshape, "input") < 0) goto done;
    if (semseg_py_describe(t, &tt, tshape, "target") < 0) goto done;
    if (mask_obj != Py_None) {
        m = semseg_py_float_array_as(mask_obj, typenum, "mask");
        if (m == NULL) goto done;
        if (semseg_py_describe(m, &mt, mshape, "mask") < 0) goto done;
    }

    st = semseg_loss_output_shape(name, options, (int64_t)n_options, &xt, out_shape, &out_ndim, err, sizeof err);
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }

    npy_intp dims[NPY_MAXDIMS];
    if (out_ndim > 0) {
        for (int i = 0; i < out_ndim; i++) dims[i] = (npy_intp)out_shape[i];
        values = (PyArrayObject *)PyArray_SimpleNew(out_ndim, dims, typenum);
        if (values == NULL) goto done;
    }
    if (grad_output_obj != Py_None) {
        if (out_ndim == 0) {
            PyErr_SetString(PyExc_ValueError, "grad_output: only accepted with reduction='none'");
            goto done;
        }
        go = semseg_py_float_array_as(grad_output_obj, typenum, "grad_output");
        if (go == NULL) goto done;
        int same = PyArray_NDIM(go) == out_ndim;
        for (int i = 0; same && i < out_ndim; i++) same = PyArray_DIMS(go)[i] == (npy_intp)out_shape[i];
        if (!same) {
            PyObject *want = semseg_py_shape_str(out_ndim, out_shape);
            int64_t got_shape[NPY_MAXDIMS];
            for (int i = 0; i < PyArray_NDIM(go); i++) got_shape[i] = (int64_t)PyArray_DIMS(go)[i];
            PyObject *got = semseg_py_shape_str(PyArray_NDIM(go), got_shape);
            PyErr_Format(PyExc_ValueError, "grad_output: expected shape %S (the unreduced loss), got %S", want, got);
            Py_XDECREF(want);
            Py_XDECREF(got);
            goto done;
        }
    }
    if (return_grad) {
        grad = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(x), PyArray_DIMS(x), typenum);
        if (grad == NULL) goto done;
    }

    double value = 0.0;
    const void *go_data = go ? PyArray_DATA(go) : NULL;
    void *values_data = values ? PyArray_DATA(values) : NULL;
    void *grad_data = grad ? PyArray_DATA(grad) : NULL;
    Py_BEGIN_ALLOW_THREADS
    if (m != NULL)
        st = semseg_masked_loss(name, options, (int64_t)n_options, &xt, &tt, &mt, go_data, &value, values_data,
                                grad_data, err, sizeof err);
    else
        st = semseg_loss(name, options, (int64_t)n_options, &xt, &tt, go_data, &value, values_data, grad_data,
                         err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != SEMSEG_OK) { semseg_py_raise(st, err); goto done; }

    result = Py_BuildValue("(dOO)", value, values ? (PyObject *)values : Py_None, grad ? (PyObject *)grad : Py_None);

done:
    Py_XDECREF(x);
    Py_XDECREF(t);
    Py_XDECREF(m);
    Py_XDECREF(go);
    Py_XDECREF(values);
    Py_XDECREF(grad);
    return result;
}

PyMethodDef semseg_py_loss_methods[] = {
    {"loss", (PyCFunction)(void (*)(void))semseg_py_loss, METH_VARARGS | METH_KEYWORDS,
     "loss(name, input, target, options=None, return_grad=False, grad_output=None, mask=None) -> (value, values, grad)"},
    {NULL, NULL, 0, NULL},
};
