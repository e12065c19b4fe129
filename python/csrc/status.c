/* Status codes of semsegloss.h -> Python exceptions: the one place this mapping lives. */
#include "semseg_py.h"

PyObject *semseg_py_raise(semseg_status_t status, const char *message) {
    PyObject *type;
    switch (status) {
    case SEMSEG_ERR_NULL_POINTER:
    case SEMSEG_ERR_SHAPE:
    case SEMSEG_ERR_VALUE:
    case SEMSEG_ERR_OPTION:
        type = PyExc_ValueError;
        break;
    case SEMSEG_ERR_DTYPE:
        type = PyExc_TypeError;
        break;
    case SEMSEG_ERR_ALLOC:
        type = PyExc_MemoryError;
        break;
    case SEMSEG_ERR_IO:
        type = PyExc_OSError;
        break;
    default:
        type = PyExc_RuntimeError;
        break;
    }
    if (message == NULL || message[0] == '\0') {
        PyErr_Format(type, "semsegloss_swift: error status %d", (int)status);
    } else {
        PyErr_SetString(type, message);
    }
    return NULL;
}
