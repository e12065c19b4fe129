/* Shared by training.c (model) and trainer.c (trainer): handle capsules and float32
 * arguments of the training section of semsegloss.h. */
#ifndef SEMSEG_PY_TRAINING_H
#define SEMSEG_PY_TRAINING_H

#include "semseg_py.h"

#define UNET_CAPSULE "semsegloss_swift._core.unet"
#define TRAINER_CAPSULE "semsegloss_swift._core.trainer"

/* Capsules owning a handle (the handle is destroyed when the capsule cannot be made). */
PyObject *semseg_py_wrap_unet(semseg_unet_t *h);
PyObject *semseg_py_wrap_trainer(semseg_trainer_t *h);
/* The handle of a capsule, or NULL with TypeError. */
semseg_unet_t *semseg_py_get_unet(PyObject *obj);
semseg_trainer_t *semseg_py_get_trainer(PyObject *obj);
/* seed: a Python int in [0, 2**64) (ValueError / TypeError otherwise). */
int semseg_py_parse_seed(PyObject *obj, uint64_t *out);

/* A float32 C-contiguous copy (or view) of an argument with its descriptor. */
typedef struct {
    PyArrayObject *arr;
    semseg_tensor_t t;
    int64_t shape[NPY_MAXDIMS];
} semseg_py_f32_arg;

int semseg_py_f32_open(semseg_py_f32_arg *a, PyObject *obj, const char *argname);
void semseg_py_f32_close(semseg_py_f32_arg *a);

/* An epoch record as a dict (NaN val_* without validation). */
PyObject *semseg_py_record_dict(const semseg_epoch_record_t *r);

/* trainer.c */
PyObject *semseg_py_trainer_create(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_model(PyObject *self, PyObject *arg);
PyObject *semseg_py_trainer_info(PyObject *self, PyObject *arg);
PyObject *semseg_py_trainer_train_epoch(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_begin_epoch(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_train_batches(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_end_epoch(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_abort_epoch(PyObject *self, PyObject *arg);
PyObject *semseg_py_trainer_set_loss(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_should_stop(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_evaluate(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_history(PyObject *self, PyObject *arg);
PyObject *semseg_py_trainer_save(PyObject *self, PyObject *args);
PyObject *semseg_py_trainer_load(PyObject *self, PyObject *args);

#endif
