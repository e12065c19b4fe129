/* Shared declarations of the semsegloss_swift._core extension (marshalling only). */
#ifndef SEMSEG_PY_H
#define SEMSEG_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL semsegloss_ARRAY_API
#ifndef SEMSEG_PY_MODULE_C
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "semsegloss.h"

#define SEMSEG_PY_ERR_LEN 1024
#define SEMSEG_PY_MAX_OPTIONS 1024

/* status.c: raises the Python exception for a non-OK status; returns NULL. */
PyObject *semseg_py_raise(semseg_status_t status, const char *message);

/* arrays.c */
/* Converts `obj` to an aligned C-contiguous float32/float64 array (float16 -> float32,
 * other real dtypes -> float64; bool/int accepted). New reference or NULL with TypeError
 * naming `argname`. */
PyArrayObject *semseg_py_float_array(PyObject *obj, const char *argname);
/* Converts `obj` to an aligned C-contiguous array of exactly `typenum`. */
PyArrayObject *semseg_py_array_as(PyObject *obj, int typenum, const char *argname);
/* Like semseg_py_array_as, but first rejects non-real dtypes (str, object, complex). */
PyArrayObject *semseg_py_float_array_as(PyObject *obj, int typenum, const char *argname);
/* The target of a loss: an integer array with one dimension less than `input` is a
 * label map, passed as int64; anything else is converted to the input's float type. */
PyArrayObject *semseg_py_target_array(PyObject *obj, PyArrayObject *input, const char *argname);
/* Formats a shape as "(2, 1, 4)" (new reference). */
PyObject *semseg_py_shape_str(int ndim, const int64_t *shape);
/* Fills a semseg_tensor_t describing `arr`; `shape` must hold NPY_MAXDIMS values. */
int semseg_py_describe(PyArrayObject *arr, semseg_tensor_t *t, int64_t *shape, const char *argname);

/* options.c: converts a dict {str: number|bool|None} into options (None entries are
 * skipped); names stay valid while `dict` lives. Returns the count or -1 with an error. */
Py_ssize_t semseg_py_options(PyObject *dict, semseg_option_t *out, Py_ssize_t capacity);

/* Method tables, one per header section (NULL-terminated); module.c registers them all. */
extern PyMethodDef semseg_py_loss_methods[];     /* losses.c */
extern PyMethodDef semseg_py_metric_methods[];   /* metrics.c */
extern PyMethodDef semseg_py_distance_methods[]; /* distance.c (issue 4) */
extern PyMethodDef semseg_py_training_methods[]; /* training.c (issue 5) */
extern PyMethodDef semseg_py_deep_supervision_methods[]; /* deep_supervision.c */

#endif
