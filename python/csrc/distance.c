/* Distance transforms and surface metrics (issue 4): marshalling over the distance
 * section of semsegloss.h. */
#include "semseg_py.h"

PyMethodDef semseg_py_distance_methods[] = {
    {NULL, NULL, 0, NULL},
};
