// COpenBLAS: the CBLAS interface of OpenBLAS for SemSegTraining.
//
// Debian's libopenblas-dev installs cblas.h both in the multiarch include directory
// (/usr/include/x86_64-linux-gnu, an alternatives symlink) and in the variant directory
// named by openblas.pc (/usr/include/x86_64-linux-gnu/openblas-pthread), which SwiftPM
// adds through `pkgConfig: "openblas"`. Either copy declares the same functions.
#ifndef SEMSEG_COPENBLAS_SHIM_H
#define SEMSEG_COPENBLAS_SHIM_H

#include <cblas.h>

// Declared in OpenBLAS's cblas.h as well; repeated so the module also builds against a
// reference cblas.h that lacks the OpenBLAS extensions.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

#endif
