/* Keyword options (a dict of numbers) -> semseg_option_t list. */
#include "semseg_py.h"

Py_ssize_t semseg_py_options(PyObject *dict, semseg_option_t *out, Py_ssize_t capacity) {
    if (dict == NULL || dict == Py_None) return 0;
    if (!PyDict_Check(dict)) {
        PyErr_SetString(PyExc_TypeError, "options: expected a dict");
        return -1;
    }
    Py_ssize_t pos = 0, n = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "options: names must be strings");
            return -1;
        }
        const char *name = PyUnicode_AsUTF8(key);
        if (name == NULL) return -1;
        if (value == Py_None) continue; /* absent: the library default */
        if (n >= capacity) {
            PyErr_SetString(PyExc_ValueError, "options: too many options");
            return -1;
        }
        double v;
        if (PyBool_Check(value)) {
            v = (value == Py_True) ? 1.0 : 0.0;
        } else if (PyFloat_Check(value) || PyLong_Check(value) || PyNumber_Check(value)) {
            v = PyFloat_AsDouble(value);
            if (v == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError, "%s: expected a number, got %s", name, Py_TYPE(value)->tp_name);
                return -1;
            }
        } else {
            PyErr_Format(PyExc_TypeError, "%s: expected a number, got %s", name, Py_TYPE(value)->tp_name);
            return -1;
        }
        out[n].name = name;
        out[n].value = v;
        n++;
    }
    return n;
}
