/* NumPy arrays in and out: dtype resolution, contiguity, descriptors. */
#include "semseg_py.h"

#include <math.h>

static int resolve_float_type(PyArray_Descr *descr) {
    switch (descr->type_num) {
    case NPY_FLOAT32:
    case NPY_FLOAT64:
        return descr->type_num;
    case NPY_FLOAT16:
        return NPY_FLOAT32;
    case NPY_BOOL:
    case NPY_INT8: case NPY_UINT8: case NPY_INT16: case NPY_UINT16:
    case NPY_INT32: case NPY_UINT32: case NPY_INT64: case NPY_UINT64:
    case NPY_LONGDOUBLE:
        return NPY_FLOAT64;
    default:
        return -1;
    }
}

/* After a failed conversion of argument `argname`: an interrupt (KeyboardInterrupt,
   SystemExit: not an Exception) is left as it is; a MemoryError stays a MemoryError, named;
   anything else becomes the TypeError `fallback`, with the original message when `detail`. */
static void conversion_failed(const char *argname, const char *fallback, int detail) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (type != NULL && !PyErr_GivenExceptionMatches(type, PyExc_Exception)) {
        PyErr_Restore(type, value, tb);
        return;
    }
    if (type != NULL && PyErr_GivenExceptionMatches(type, PyExc_MemoryError)) {
        PyErr_Format(PyExc_MemoryError, "%s: not enough memory to convert it to a contiguous array (%S)",
                     argname, value ? value : Py_None);
    } else if (detail) {
        PyErr_Format(PyExc_TypeError, "%s: %s (%S)", argname, fallback, value ? value : Py_None);
    } else {
        PyErr_Format(PyExc_TypeError, "%s: %s", argname, fallback);
    }
    Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);
}

/* numpy.ma arrays would lose their mask in the conversion (the data under masked entries
   would be used): refused with a TypeError naming the argument. */
static int refuse_masked_array(PyObject *obj, const char *argname) {
    if (!PyArray_Check(obj) || PyArray_CheckExact(obj)) return 0;
    PyObject *name = PyUnicode_FromString("numpy.ma");
    if (name == NULL) return 1;
    PyObject *ma = PyImport_GetModule(name); /* NULL without an error when not imported */
    Py_DECREF(name);
    if (ma == NULL) return PyErr_Occurred() ? 1 : 0;
    PyObject *cls = PyObject_GetAttrString(ma, "MaskedArray");
    Py_DECREF(ma);
    if (cls == NULL) {
        PyErr_Clear();
        return 0;
    }
    int masked = PyObject_IsInstance(obj, cls);
    Py_DECREF(cls);
    if (masked < 0) return 1;
    if (masked) {
        PyErr_Format(PyExc_TypeError,
                     "%s: numpy.ma masked arrays are not accepted (the values under the mask would be "
                     "used as if valid); pass a.filled(value) or np.ma.getdata(a), or for a loss over the "
                     "unmasked voxels only, ss.masked_loss(..., mask=~np.ma.getmaskarray(a))", argname);
        return 1;
    }
    return 0;
}

PyArrayObject *semseg_py_array_as(PyObject *obj, int typenum, const char *argname) {
    if (obj == NULL || obj == Py_None) {
        PyErr_Format(PyExc_TypeError, "%s: expected an array, got None", argname);
        return NULL;
    }
    PyArray_Descr *want = PyArray_DescrFromType(typenum); /* stolen below */
    if (want == NULL) return NULL;
    PyObject *arr = PyArray_FromAny(obj, want, 0, 0, NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST, NULL);
    if (arr == NULL) {
        conversion_failed(argname, "cannot be converted to a numeric array", 1);
        return NULL;
    }
    return (PyArrayObject *)arr;
}

/* The array NumPy makes of `obj` (no copy for an ndarray), or NULL with an error naming
   `argname`: masked arrays are refused, interrupts and MemoryError pass through. */
static PyArrayObject *probe_array(PyObject *obj, const char *argname) {
    if (obj == NULL || obj == Py_None) {
        PyErr_Format(PyExc_TypeError, "%s: expected an array, got None", argname);
        return NULL;
    }
    if (refuse_masked_array(obj, argname)) return NULL;
    PyArrayObject *probe = (PyArrayObject *)PyArray_FROM_O(obj);
    if (probe == NULL) {
        char fallback[200];
        snprintf(fallback, sizeof fallback, "expected a numeric array, got %s", Py_TYPE(obj)->tp_name);
        conversion_failed(argname, fallback, 0);
    }
    return probe;
}

PyArrayObject *semseg_py_float_array(PyObject *obj, const char *argname) {
    PyArrayObject *probe = probe_array(obj, argname);
    if (probe == NULL) return NULL;
    int typenum = resolve_float_type(PyArray_DESCR(probe));
    if (typenum < 0) {
        PyErr_Format(PyExc_TypeError, "%s: dtype %S is not supported; use float32 or float64", argname,
                     (PyObject *)PyArray_DESCR(probe));
        Py_DECREF(probe);
        return NULL;
    }
    PyArrayObject *out = semseg_py_array_as((PyObject *)probe, typenum, argname);
    Py_DECREF(probe);
    return out;
}

PyArrayObject *semseg_py_float_array_as(PyObject *obj, int typenum, const char *argname) {
    PyArrayObject *probe = probe_array(obj, argname);
    if (probe == NULL) return NULL;
    if (resolve_float_type(PyArray_DESCR(probe)) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: dtype %S is not supported; use a real numeric dtype", argname,
                     (PyObject *)PyArray_DESCR(probe));
        Py_DECREF(probe);
        return NULL;
    }
    PyArrayObject *out = semseg_py_array_as((PyObject *)probe, typenum, argname);
    Py_DECREF(probe);
    return out;
}

int semseg_py_describe(PyArrayObject *arr, semseg_tensor_t *t, int64_t *shape, const char *argname) {
    int nd = PyArray_NDIM(arr);
    if (nd > 8) {
        PyErr_Format(PyExc_ValueError, "%s: has %d dimensions; at most 8 are supported", argname, nd);
        return -1;
    }
    npy_intp *dims = PyArray_DIMS(arr);
    for (int i = 0; i < nd; i++) shape[i] = (int64_t)dims[i];
    switch (PyArray_TYPE(arr)) {
    case NPY_FLOAT32: t->dtype = SEMSEG_FLOAT32; break;
    case NPY_FLOAT64: t->dtype = SEMSEG_FLOAT64; break;
    case NPY_INT64: t->dtype = SEMSEG_INT64; break;
    case NPY_UINT8: t->dtype = SEMSEG_UINT8; break;
    default:
        PyErr_Format(PyExc_TypeError, "%s: internal dtype %d not supported", argname, PyArray_TYPE(arr));
        return -1;
    }
    /* A zero-size array still needs a non-NULL pointer; the library rejects its shape. */
    static const double empty_sentinel = 0.0;
    t->data = PyArray_SIZE(arr) > 0 ? PyArray_DATA(arr) : (const void *)&empty_sentinel;
    t->shape = shape;
    t->ndim = nd;
    return 0;
}

PyObject *semseg_py_shape_str(int ndim, const int64_t *shape) {
    PyObject *tuple = PyTuple_New(ndim);
    if (tuple == NULL) return NULL;
    for (int i = 0; i < ndim; i++) PyTuple_SET_ITEM(tuple, i, PyLong_FromLongLong(shape[i]));
    PyObject *s = PyObject_Str(tuple);
    Py_DECREF(tuple);
    return s;
}

/* Whether every value of an unsigned 64-bit array is at most INT64_MAX; else sets a
   ValueError naming the first value that is not. */
static int labels_fit_int64(PyArrayObject *probe, const char *argname) {
    PyArrayObject *u = semseg_py_array_as((PyObject *)probe, NPY_UINT64, argname);
    if (u == NULL) return 0;
    const npy_uint64 *v = (const npy_uint64 *)PyArray_DATA(u);
    npy_intp n = PyArray_SIZE(u);
    for (npy_intp i = 0; i < n; i++) {
        if (v[i] > (npy_uint64)NPY_MAX_INT64) {
            PyErr_Format(PyExc_ValueError,
                         "%s: label %llu at flat index %zd does not fit in int64; labels must be class indices",
                         argname, (unsigned long long)v[i], (Py_ssize_t)i);
            Py_DECREF(u);
            return 0;
        }
    }
    Py_DECREF(u);
    return 1;
}

/* A wide (float64, integer) target for a float32 input, as float32: a finite value that
   float32 cannot hold (it would become inf, and NumPy warn from inside the library) is a
   ValueError naming it. Values are otherwise rounded to float32, the input's precision. */
static PyArrayObject *narrowed_to_float32(PyArrayObject *probe, const char *argname) {
    PyArrayObject *wide = semseg_py_array_as((PyObject *)probe, NPY_FLOAT64, argname);
    if (wide == NULL) return NULL;
    /* the smallest magnitude that rounds to infinity in float32 (round to nearest even) */
    const double overflow = ldexp(2.0 - ldexp(1.0, -24), 127);
    const double *v = (const double *)PyArray_DATA(wide);
    npy_intp n = PyArray_SIZE(wide);
    for (npy_intp i = 0; i < n; i++) {
        if (isfinite(v[i]) && fabs(v[i]) >= overflow) {
            PyObject *value = PyFloat_FromDouble(v[i]);
            if (value != NULL) {
                PyErr_Format(PyExc_ValueError,
                             "%s: value %R at flat index %zd does not fit float32, the input's dtype",
                             argname, value, (Py_ssize_t)i);
                Py_DECREF(value);
            }
            Py_DECREF(wide);
            return NULL;
        }
    }
    PyArrayObject *out = semseg_py_array_as((PyObject *)wide, NPY_FLOAT32, argname);
    Py_DECREF(wide);
    return out;
}

PyArrayObject *semseg_py_target_array(PyObject *obj, PyArrayObject *input, const char *argname) {
    PyArrayObject *probe = probe_array(obj, argname);
    if (probe == NULL) return NULL;
    char kind = PyArray_DESCR(probe)->kind;
    PyArrayObject *out;
    if ((kind == 'i' || kind == 'u') && PyArray_NDIM(probe) == PyArray_NDIM(input) - 1) {
        /* An integer label map (N, *spatial): passed as int64; unsigned 64-bit labels
           above INT64_MAX would wrap to negative labels (even to an ignore_index). */
        if (kind == 'u' && PyArray_ITEMSIZE(probe) == 8 && !labels_fit_int64(probe, argname)) {
            Py_DECREF(probe);
            return NULL;
        }
        out = semseg_py_array_as((PyObject *)probe, NPY_INT64, argname);
    } else if (PyArray_TYPE(input) == NPY_FLOAT32 && resolve_float_type(PyArray_DESCR(probe)) == NPY_FLOAT64) {
        out = narrowed_to_float32(probe, argname);
    } else {
        out = semseg_py_float_array_as((PyObject *)probe, PyArray_TYPE(input), argname);
    }
    Py_DECREF(probe);
    return out;
}
