/* semsegloss_swift._core: the CPython module over the semsegloss C ABI. */
#define SEMSEG_PY_MODULE_C
#include "semseg_py.h"

static PyObject *py_abi_version(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    return PyLong_FromLong(semseg_abi_version());
}

static PyObject *py_version(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    return PyUnicode_FromString(semseg_version());
}

static PyObject *py_scratch_bytes(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    return PyLong_FromLongLong((long long)semseg_scratch_bytes());
}

static PyObject *py_release_scratch(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    Py_BEGIN_ALLOW_THREADS
    semseg_release_scratch();
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *names_list(int32_t count, const char *(*name_at)(int32_t)) {
    PyObject *list = PyList_New(0);
    if (list == NULL) return NULL;
    for (int32_t i = 0; i < count; i++) {
        PyObject *s = PyUnicode_FromString(name_at(i));
        if (s == NULL || PyList_Append(list, s) < 0) { Py_XDECREF(s); Py_DECREF(list); return NULL; }
        Py_DECREF(s);
    }
    return list;
}

static PyObject *py_loss_names(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    return names_list(semseg_loss_count(), semseg_loss_name);
}

static PyObject *py_metric_names(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    return names_list(semseg_metric_count(), semseg_metric_name);
}

static PyMethodDef methods[] = {
    {"abi_version", py_abi_version, METH_NOARGS, "ABI version of the loaded Swift library."},
    {"version", py_version, METH_NOARGS, "Version string of the loaded Swift library."},
    {"scratch_bytes", py_scratch_bytes, METH_NOARGS, "Bytes of scratch memory kept between calls."},
    {"release_scratch", py_release_scratch, METH_NOARGS, "Frees the scratch memory kept between calls."},
    {"loss_names", py_loss_names, METH_NOARGS, "Names of the losses in the Swift catalogue."},
    {"metric_names", py_metric_names, METH_NOARGS, "Names of the metrics in the Swift catalogue."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_core", "Marshalling layer over the semsegloss Swift C ABI.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void) {
    import_array();
    if (semseg_abi_version() != SEMSEG_ABI_VERSION) {
        PyErr_Format(PyExc_ImportError,
                     "semsegloss_swift: the Swift library has ABI version %d but this extension was built for %d; "
                     "reinstall the package",
                     (int)semseg_abi_version(), SEMSEG_ABI_VERSION);
        return NULL;
    }
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) return NULL;
    PyMethodDef *sections[] = {semseg_py_loss_methods, semseg_py_metric_methods, semseg_py_distance_methods,
                               semseg_py_training_methods, semseg_py_deep_supervision_methods};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if (PyModule_AddFunctions(m, sections[i]) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    struct { const char *name; long value; } constants[] = {
        {"ABI_VERSION", SEMSEG_ABI_VERSION},
        {"MODE_BINARY", SEMSEG_MODE_BINARY}, {"MODE_MULTILABEL", SEMSEG_MODE_MULTILABEL},
        {"MODE_MULTICLASS", SEMSEG_MODE_MULTICLASS},
        {"REDUCTION_MEAN", SEMSEG_REDUCTION_MEAN}, {"REDUCTION_SUM", SEMSEG_REDUCTION_SUM},
        {"REDUCTION_NONE", SEMSEG_REDUCTION_NONE},
        {"EMPTY_SMOOTH", SEMSEG_EMPTY_SMOOTH}, {"EMPTY_SKIP", SEMSEG_EMPTY_SKIP},
        {"EMPTY_PENALIZE_FP", SEMSEG_EMPTY_PENALIZE_FP},
        {"METRIC_EMPTY_NAN", SEMSEG_METRIC_EMPTY_NAN}, {"METRIC_EMPTY_ONE", SEMSEG_METRIC_EMPTY_ONE},
        {"METRIC_EMPTY_ZERO", SEMSEG_METRIC_EMPTY_ZERO},
        {"DS_WEIGHTS_SAME", SEMSEG_DS_WEIGHTS_SAME}, {"DS_WEIGHTS_EXP", SEMSEG_DS_WEIGHTS_EXP},
        {"DS_WEIGHTS_TWO", SEMSEG_DS_WEIGHTS_TWO},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        if (PyModule_AddIntConstant(m, constants[i].name, constants[i].value) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
