/*
 * semsegloss.h — the C ABI of semsegloss-swift (the contract; see DESIGN.md §1).
 *
 * Implemented in Swift with `@c @implementation` (Sources/SemSegLossC), so any drift
 * between this header and the implementation is a compile error.
 *
 * Rules for every function:
 *  - returns a semseg_status_t; SEMSEG_OK (0) on success;
 *  - on failure writes a NUL-terminated message naming the argument into `err`
 *    (at most err_len bytes; err may be NULL when err_len is 0);
 *  - never traps on bad arguments: NULL pointers, non-positive or overflowing sizes,
 *    unknown names and enum values, non-finite parameters are all reported as statuses;
 *  - never modifies its inputs and keeps no global mutable state (thread-safe);
 *  - tensors are C-contiguous, channel-first: input (N, C, *spatial), 1-3 spatial dims.
 */
#ifndef SEMSEGLOSS_H
#define SEMSEGLOSS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Incremented on every incompatible change; the Python extension refuses a mismatch. */
#define SEMSEG_ABI_VERSION 1

/* ---------------------------------------------------------------- statuses */

typedef int32_t semseg_status_t;
#define SEMSEG_OK 0
#define SEMSEG_ERR_NULL_POINTER 1 /* a required pointer is NULL            -> ValueError  */
#define SEMSEG_ERR_SHAPE 2        /* bad or mismatched shape               -> ValueError  */
#define SEMSEG_ERR_VALUE 3        /* value out of range / not finite       -> ValueError  */
#define SEMSEG_ERR_OPTION 4       /* unknown name, option or enum value    -> ValueError  */
#define SEMSEG_ERR_DTYPE 5        /* unsupported element type              -> TypeError   */
#define SEMSEG_ERR_ALLOC 6        /* out of memory                         -> MemoryError */
#define SEMSEG_ERR_IO 7           /* file could not be read or written     -> OSError     */
#define SEMSEG_ERR_INTERNAL 8     /* a bug: please report                  -> RuntimeError */

/* ---------------------------------------------------------------- tensors */

#define SEMSEG_FLOAT32 0
#define SEMSEG_FLOAT64 1
#define SEMSEG_INT64 2
#define SEMSEG_UINT8 3

/** A borrowed, C-contiguous array. */
typedef struct semseg_tensor_t {
    const void *data;
    const int64_t *shape;
    int32_t ndim;
    int32_t dtype; /* SEMSEG_FLOAT32, ... */
} semseg_tensor_t;

/** One named numeric option, e.g. {"smooth_nr", 1e-5}. Booleans are 0/1, enums use the
 *  codes below. An option that is absent takes its documented default. */
typedef struct semseg_option_t {
    const char *name;
    double value;
} semseg_option_t;

/* Values of the "mode" option. */
#define SEMSEG_MODE_BINARY 0
#define SEMSEG_MODE_MULTILABEL 1
#define SEMSEG_MODE_MULTICLASS 2
/* Values of the "reduction" option. */
#define SEMSEG_REDUCTION_MEAN 0
#define SEMSEG_REDUCTION_SUM 1
#define SEMSEG_REDUCTION_NONE 2
/* Values of the "empty" option of region losses. */
#define SEMSEG_EMPTY_SMOOTH 0
#define SEMSEG_EMPTY_SKIP 1
/* Values of the "empty" option of metrics (what a 0/0 ratio gives). */
#define SEMSEG_METRIC_EMPTY_NAN 0
#define SEMSEG_METRIC_EMPTY_ONE 1
#define SEMSEG_METRIC_EMPTY_ZERO 2

/* ---------------------------------------------------------------- library */

/** SEMSEG_ABI_VERSION of the compiled library. */
int32_t semseg_abi_version(void);

/** Library version, e.g. "0.1.0" (static storage). */
const char *semseg_version(void);

/* ---------------------------------------------------------------- losses */

/** Number of losses in the catalogue. */
int32_t semseg_loss_count(void);

/** Name of loss `index` (static storage), or NULL when out of range. */
const char *semseg_loss_name(int32_t index);

/**
 * Shape of the unreduced loss of `loss` for `input` under `options`: with reduction
 * "none", (N, C, *spatial) for pixel losses, (N, C') or (C',) for region losses; with
 * mean/sum, ndim 0. Writes at most 8 dims into out_shape and their number to *out_ndim.
 */
semseg_status_t semseg_loss_output_shape(
    const char *loss, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, int64_t *out_shape, int32_t *out_ndim,
    char *err, size_t err_len);

/**
 * Evaluates loss `loss` (a name from the catalogue, e.g. "dice_loss").
 *
 * input:       float32 or float64, (N, C, *spatial).
 * target:      same dtype and shape as input (binary, one-hot or soft).
 * grad_output: NULL, or (reduction "none" only) the upstream gradient, input dtype,
 *              shape from semseg_loss_output_shape.
 * value:       receives the reduced loss (for "none": the sum of the values).
 * values:      NULL, or (reduction "none") receives the unreduced losses, input dtype.
 * grad:        NULL, or receives d(loss)/d(input), input dtype and shape.
 */
semseg_status_t semseg_loss(
    const char *loss, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, const semseg_tensor_t *target,
    const void *grad_output, double *value, void *values, void *grad,
    char *err, size_t err_len);

/* ---------------------------------------------------------------- metrics */

/** Number of metrics in the catalogue, and their names (static storage, NULL if out of range). */
int32_t semseg_metric_count(void);
const char *semseg_metric_name(int32_t index);

/**
 * Shape of the per-entry values of `metric`: (N, C') per image, (C',) with batch=1;
 * ndim 0 for reduction mean/sum.
 */
semseg_status_t semseg_metric_output_shape(
    const char *metric, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, int64_t *out_shape, int32_t *out_ndim,
    char *err, size_t err_len);

/**
 * Evaluates a thresholded overlap metric ("iou", "dice_score", "precision", "recall",
 * "specificity", "accuracy", "f_beta", "mcc"). Options: mode, threshold (0.5),
 * from_logits (0), ignore_index, include_background (1), batch (0), reduction (mean),
 * empty (SEMSEG_METRIC_EMPTY_NAN), beta (f_beta only, 1).
 * value receives the reduced metric; values (NULL or float64, output shape) the
 * per-entry ones.
 */
semseg_status_t semseg_metric(
    const char *metric, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, const semseg_tensor_t *target,
    double *value, double *values, char *err, size_t err_len);

/**
 * Confusion counts per entry: out (int64, shape (N, C', 4) or (C', 4) with batch=1)
 * receives [TP, FP, FN, TN]. Options as semseg_metric (no reduction, empty, beta).
 * Writes the number of entries to *n_entries; out must hold 4 * entries values
 * (ask semseg_metric_output_shape with reduction "none" for the entry shape).
 */
semseg_status_t semseg_confusion_counts(
    const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, const semseg_tensor_t *target,
    int64_t *out, int64_t out_len, char *err, size_t err_len);

/* ---------------------------------------------------------------- distance transforms */

/* (issue 4: declarations go here) */

/* ---------------------------------------------------------------- training */

/* (issue 5: declarations go here) */

#ifdef __cplusplus
}
#endif
#endif /* SEMSEGLOSS_H */
