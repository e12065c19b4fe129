/* U-Net model and trainer handles (issue 5): marshalling over the training section of
 * semsegloss.h. */
#include "semseg_py.h"

PyMethodDef semseg_py_training_methods[] = {
    {NULL, NULL, 0, NULL},
};
