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
#define SEMSEG_EMPTY_PENALIZE_FP 2
/* Values of the "empty" option of metrics (what a 0/0 ratio gives). */
#define SEMSEG_METRIC_EMPTY_NAN 0
#define SEMSEG_METRIC_EMPTY_ONE 1
#define SEMSEG_METRIC_EMPTY_ZERO 2

/* ---------------------------------------------------------------- library */

/** SEMSEG_ABI_VERSION of the compiled library. */
int32_t semseg_abi_version(void);

/** Library version, e.g. "0.1.0" (static storage). */
const char *semseg_version(void);

/**
 * Bytes of scratch memory the library keeps between calls: large buffers (Lovász sort
 * buffers, top-k values, SSIM planes, multiclass softmax) are reused instead of being
 * faulted in afresh on every call; at most 256 MiB are kept. Thread-safe.
 */
int64_t semseg_scratch_bytes(void);

/** Frees the scratch memory kept between calls (buffers in use are kept until released). */
void semseg_release_scratch(void);

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
 * target:      same dtype and shape as input (binary, one-hot or soft), or, with
 *              mode multiclass, an int64 label map (N, *spatial) of class indices in
 *              [0, C) (voxels equal to the ignore_index option are ignored).
 * Options given as lists (e.g. class weights) are passed as "name.0", "name.1", ...
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

/**
 * Evaluates an overlap loss (dice_loss, jaccard_loss, tversky_loss, focal_tversky_loss,
 * log_cosh_dice_loss, mcc_loss, asymmetric_similarity_loss, log_dice_loss) with voxel
 * weights: TP = sum m p g, P = sum m p, G = sum m g (MONAI MaskedDiceLoss, generalised).
 * mask: the input's float dtype, (N, 1, *spatial) or (1, 1, *spatial), values in [0, 1],
 * shared by every channel. Everything else as semseg_loss (same output shape).
 */
semseg_status_t semseg_masked_loss(
    const char *loss, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, const semseg_tensor_t *target, const semseg_tensor_t *mask,
    const void *grad_output, double *value, void *values, void *grad,
    char *err, size_t err_len);

/* ---------------------------------------------------------------- deep supervision */

/* Level weights of semseg_deep_supervision_loss (MONAI's weight_mode names). */
#define SEMSEG_DS_WEIGHTS_SAME 0 /* 1, 1, 1, ... */
#define SEMSEG_DS_WEIGHTS_EXP 1  /* max(0.5^l, 1/16): 1, 0.5, 0.25, 0.125, 0.0625, 0.0625, ... */
#define SEMSEG_DS_WEIGHTS_TWO 2  /* 1, 0.5, 0.5, ... */

/**
 * Deep supervision (MONAI DeepSupervisionLoss): the sum over levels l of
 * w_l * loss(inputs[l], target resized to the spatial size of inputs[l]), the resizing
 * nearest-exact (PyTorch interpolate mode "nearest-exact").
 *
 * inputs:      n_levels (>= 1) tensors, all float32 or all float64, (N, C, *spatial_l) with
 *              the same N, C and number of spatial axes.
 * target:      as for semseg_loss, at its own spatial size: dense (N, C, *spatial_t) of the
 *              inputs' dtype, or (mode multiclass) an int64 label map (N, *spatial_t).
 * weight_mode: SEMSEG_DS_WEIGHTS_*; ignored when weights is not NULL.
 * weights:     NULL, or n_levels finite weights >= 0.
 * value:       receives the weighted sum.
 * grads:       NULL, or n_levels pointers, each NULL or a buffer of inputs[l]'s dtype and
 *              shape receiving w_l * d(loss)/d(inputs[l]).
 * Options as for semseg_loss; reduction "none" is refused.
 */
semseg_status_t semseg_deep_supervision_loss(
    const char *loss, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *inputs, int64_t n_levels, const semseg_tensor_t *target,
    int32_t weight_mode, const double *weights, double *value, void *const *grads,
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
 * input: float32 or float64, (N, C, *spatial); target: same dtype and shape, or, with
 * mode multiclass, an int64 label map (N, *spatial) as for semseg_loss. Multiclass
 * counts class c one-vs-rest: predicted class = argmax over C of the input (threshold
 * unused), true class = the label, or the argmax of a dense target.
 * value receives the reduced metric; values (NULL or float64, output shape) the
 * per-entry ones.
 */
semseg_status_t semseg_metric(
    const char *metric, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, const semseg_tensor_t *target,
    double *value, double *values, char *err, size_t err_len);

/**
 * Confusion counts per entry: out (int64, shape (N, C', 4) or (C', 4) with batch=1)
 * receives [TP, FP, FN, TN]. Options and targets as semseg_metric (no reduction, empty,
 * beta).
 * Writes the number of entries to *n_entries; out must hold 4 * entries values
 * (ask semseg_metric_output_shape with reduction "none" for the entry shape).
 */
semseg_status_t semseg_confusion_counts(
    const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, const semseg_tensor_t *target,
    int64_t *out, int64_t out_len, char *err, size_t err_len);

/* ---------------------------------------------------------------- distance transforms */

/* Masks are SEMSEG_UINT8 arrays (non-zero = true; a NumPy bool array is one such byte per
 * element) of shape (*batch, *spatial): the last `spatial_ndim` (1 to 3) axes are spatial,
 * any leading axes index independent images. `sampling` holds `n_sampling` physical voxel
 * sizes, one per spatial axis (finite, > 0), or is NULL with n_sampling 0 for unit spacing.
 * `out` receives out_len float64 values, the mask's element count, same layout. */

/**
 * Exact Euclidean distance transform (scipy.ndimage.distance_transform_edt): for every
 * true voxel the distance to the nearest false voxel of its image, 0 on false voxels.
 * An image with no false voxel (all true) gets +inf everywhere (SciPy: meaningless values).
 */
semseg_status_t semseg_distance_transform_edt(
    const semseg_tensor_t *mask, int32_t spatial_ndim, const double *sampling, int32_t n_sampling,
    double *out, int64_t out_len, char *err, size_t err_len);

/* Values of `convention` of semseg_signed_distance. */
#define SEMSEG_SDF_BOUNDARY_LOSS 0 /* outside EDT(~m), inside -(EDT(m) - 1) (Kervadec) */
#define SEMSEG_SDF_SYMMETRIC 1     /* EDT(~m) - EDT(m) */
#define SEMSEG_SDF_TWO_SIDED 2     /* EDT(m) + EDT(~m), unsigned (Hausdorff-DT loss) */
/* Values of `degenerate` (images whose mask is empty or full, i.e. has no boundary). */
#define SEMSEG_DEGENERATE_ZERO 0 /* all zeros */
#define SEMSEG_DEGENERATE_INF 1  /* +inf (empty) / -inf (full; +inf for two-sided) */

/** Signed (or two-sided) distance maps of each image of `mask`; see the conventions above. */
semseg_status_t semseg_signed_distance(
    const semseg_tensor_t *mask, int32_t spatial_ndim, const double *sampling, int32_t n_sampling,
    int32_t convention, int32_t degenerate, double *out, int64_t out_len, char *err, size_t err_len);

/* Surface metrics: "hausdorff_distance", "average_surface_distance", "normalized_surface_dice". */
int32_t semseg_surface_metric_count(void);
const char *semseg_surface_metric_name(int32_t index);

/* Values of the "empty_both" / "empty_one" options of the surface metrics (result when both
 * masks, or exactly one, are empty). Defaults: NAN / NAN (Hausdorff, ASD), NAN / VALUE 0 (NSD). */
#define SEMSEG_SURFACE_EMPTY_NAN 0
#define SEMSEG_SURFACE_EMPTY_VALUE 1    /* the number in option "empty_both_value" / "empty_one_value" */
#define SEMSEG_SURFACE_EMPTY_INF 2
#define SEMSEG_SURFACE_EMPTY_DIAGONAL 3 /* physical image diagonal (distances only) */

/** Shape of the per-entry values: (N, C') with reduction "none", else ndim 0. */
semseg_status_t semseg_surface_metric_output_shape(
    const char *metric, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, int64_t *out_shape, int32_t *out_ndim,
    char *err, size_t err_len);

/**
 * Surface metric per (image, channel) of thresholded input (float32/float64, (N, C, *spatial))
 * and target (same dtype and shape; multiclass: masks argmax(input) == c and label == c,
 * the target an int64 label map or dense as for semseg_metric). Options: mode, threshold (0.5), from_logits (0),
 * ignore_index, include_background (1), reduction (mean); percentile (absent = maximum),
 * directed (0), percentile_mode (0 pooled, 1 max of the directed percentiles) for
 * "hausdorff_distance"; directed for "average_surface_distance"; tolerance (required) for
 * "normalized_surface_dice"; empty_both, empty_one, empty_both_value, empty_one_value.
 * spacing: n_spacing values (one per spatial axis) or NULL/0 for 1.
 * value receives the reduced metric (NaN entries skipped); values (NULL, or values_len
 * float64 = N*C' entries) the per-entry ones.
 */
semseg_status_t semseg_surface_metric(
    const char *metric, const semseg_option_t *options, int64_t n_options,
    const semseg_tensor_t *input, const semseg_tensor_t *target,
    const double *spacing, int32_t n_spacing,
    double *value, double *values, int64_t values_len, char *err, size_t err_len);

/* ---------------------------------------------------------------- training */

/*
 * A U-Net (semseg_unet_t) and its trainer (semseg_trainer_t) are opaque handles created
 * by the library (*_create, *_load, semseg_trainer_model) and released with *_destroy.
 * Every function checks that a handle argument is non-NULL and of the right kind; a
 * destroyed handle must never be passed again (it cannot be detected). A trainer shares
 * its model: both handles stay valid independently, and calls on handles of the same
 * model are serialised by a lock inside the library (other models run in parallel).
 * Training data, inputs and outputs are float32, C-contiguous, (N, C, H, W); H and W must
 * be divisible by 2^depth. The checkpoint format is described in
 * Sources/SemSegTraining/Checkpoint.swift (little-endian, FNV-1a checksummed, written to a
 * temporary file and renamed). Training is bitwise deterministic for a given seed and
 * thread count.
 */
typedef struct semseg_unet semseg_unet_t;
typedef struct semseg_trainer semseg_trainer_t;

/** Architecture and size of a model (semseg_unet_info). */
typedef struct semseg_unet_info_t {
    int64_t in_channels;
    int64_t out_channels;
    int64_t base_channels;   /* width w of level 0; level l has w * 2^l channels */
    int64_t depth;           /* number of 2x2 poolings */
    int64_t batch_norm;      /* 0/1 */
    int64_t threads;         /* worker threads of the model */
    int64_t parameter_count; /* trainable parameters */
} semseg_unet_info_t;

/* Values of `output` of semseg_unet_predict. */
#define SEMSEG_PREDICT_LOGITS 0
#define SEMSEG_PREDICT_PROBABILITIES 1 /* sigmoid per channel */
#define SEMSEG_PREDICT_MASK 2          /* 1 where sigmoid > threshold, else 0 */
#define SEMSEG_PREDICT_SOFTMAX 3       /* softmax over the channels */

/* Values of `monitor` of semseg_trainer_end_epoch (early stopping). */
#define SEMSEG_MONITOR_NONE (-1)
#define SEMSEG_MONITOR_VAL_LOSS 0 /* lower is better */
#define SEMSEG_MONITOR_VAL_IOU 1  /* higher is better (also dice, accuracy) */
#define SEMSEG_MONITOR_VAL_DICE 2
#define SEMSEG_MONITOR_VAL_ACCURACY 3

/** Loss and thresholded scores on a data set (IoU, Dice pooled over all pixels). */
typedef struct semseg_scores_t {
    double loss;
    double iou;
    double dice;
    double accuracy;
} semseg_scores_t;

/** One line of the training history. */
typedef struct semseg_epoch_record_t {
    int64_t epoch;          /* 1-based, counted over resumes */
    double loss;            /* mean training loss of the epoch */
    int32_t has_validation; /* 0: the val_* fields are NaN */
    double val_loss;
    double val_iou;
    double val_dice;
    double val_accuracy;
} semseg_epoch_record_t;

/** Training state (semseg_trainer_info). */
typedef struct semseg_trainer_info_t {
    int64_t epoch;           /* completed epochs */
    int64_t step;            /* optimiser steps taken */
    int64_t batch_size;
    uint64_t seed;
    double learning_rate;
    double weight_decay;
    double threshold;        /* probability threshold of the validation scores */
    int64_t history_length;
    int64_t epochs_without_improvement;
    int32_t epoch_in_progress; /* 1 between begin_epoch and end_epoch */
} semseg_trainer_info_t;

/**
 * Creates a U-Net (widths w, 2w, ... 2^depth w; two 3x3 conv + ReLU per level; 2x2
 * transposed convolutions; 1x1 head) initialised as PyTorch's defaults from `seed`.
 * threads: worker threads, 0 = one per core. batch_norm: 0/1. *out receives the handle.
 */
semseg_status_t semseg_unet_create(
    int64_t in_channels, int64_t out_channels, int64_t base_channels, int64_t depth,
    int32_t batch_norm, uint64_t seed, int64_t threads, semseg_unet_t **out,
    char *err, size_t err_len);

/** Releases a model handle (NULL is ignored). The model lives on while a trainer uses it. */
void semseg_unet_destroy(semseg_unet_t *model);

/** Writes the model's architecture and size into *info. */
semseg_status_t semseg_unet_info(
    semseg_unet_t *model, semseg_unet_info_t *info, char *err, size_t err_len);

/**
 * Runs the model (evaluation mode) on x (float32, (N, in_channels, H, W)) in batches of
 * batch_size; writes (N, out_channels, H, W) float32 values to out (out_len elements).
 * output: SEMSEG_PREDICT_*; threshold in [0, 1] (SEMSEG_PREDICT_MASK only).
 */
semseg_status_t semseg_unet_predict(
    semseg_unet_t *model, const semseg_tensor_t *x, int32_t output, double threshold,
    int64_t batch_size, float *out, int64_t out_len, char *err, size_t err_len);

/** Copies the parameter_count trainable parameters (checkpoint order) into out. */
semseg_status_t semseg_unet_get_parameters(
    semseg_unet_t *model, float *out, int64_t out_len, char *err, size_t err_len);

/** Overwrites the parameters with parameter_count finite values (checkpoint order). */
semseg_status_t semseg_unet_set_parameters(
    semseg_unet_t *model, const float *values, int64_t len, char *err, size_t err_len);

/** Saves the model (no optimiser state) to `path` atomically. I/O failure: SEMSEG_ERR_IO. */
semseg_status_t semseg_unet_save(
    semseg_unet_t *model, const char *path, char *err, size_t err_len);

/** Loads a model saved by semseg_unet_save or semseg_trainer_save (threads: 0 = per core).
 *  Unreadable, truncated, corrupt or foreign files: SEMSEG_ERR_IO. */
semseg_status_t semseg_unet_load(
    const char *path, int64_t threads, semseg_unet_t **out, char *err, size_t err_len);

/**
 * Creates an Adam trainer (betas 0.9/0.999, eps 1e-8) for `model` minimising catalogue
 * loss `loss` (e.g. "dice_bce_loss") with `options` (as semseg_loss; from_logits must stay
 * 1 and reduction mean; mode defaults to multilabel when out_channels > 1). Its analytic
 * gradient is the network's upstream gradient. lr > 0, batch_size >= 1,
 * weight_decay >= 0 (L2, as torch Adam), threshold in [0, 1].
 */
semseg_status_t semseg_trainer_create(
    semseg_unet_t *model, const char *loss, const semseg_option_t *options, int64_t n_options,
    double learning_rate, int64_t batch_size, uint64_t seed, double weight_decay,
    double threshold, semseg_trainer_t **out, char *err, size_t err_len);

/** Releases a trainer handle (NULL is ignored). */
void semseg_trainer_destroy(semseg_trainer_t *trainer);

/**
 * Replaces the trainer's loss with catalogue loss `loss` and `options` (checked as in
 * semseg_trainer_create), for the following epochs: a loss schedule such as the boundary
 * loss's rising weight (Kervadec et al.). Model, optimizer state, history and early
 * stopping are kept. Refused while an epoch is in progress (between begin_epoch and
 * end_epoch / abort_epoch); the trainer is unchanged on error.
 */
semseg_status_t semseg_trainer_set_loss(
    semseg_trainer_t *trainer, const char *loss, const semseg_option_t *options, int64_t n_options,
    char *err, size_t err_len);

/** A new model handle for the trainer's model (release it with semseg_unet_destroy). */
semseg_status_t semseg_trainer_model(
    semseg_trainer_t *trainer, semseg_unet_t **out, char *err, size_t err_len);

/** Writes the training state into *info. */
semseg_status_t semseg_trainer_info(
    semseg_trainer_t *trainer, semseg_trainer_info_t *info, char *err, size_t err_len);

/**
 * One epoch over (x, y): x float32 (N, in_channels, H, W), y float32 (N, out_channels, H, W)
 * with values in [0, 1] (or ignore_index); shuffled with the trainer's generator, batches
 * of batch_size. *loss receives the mean training loss. Does not touch the history.
 */
semseg_status_t semseg_trainer_train_epoch(
    semseg_trainer_t *trainer, const semseg_tensor_t *x, const semseg_tensor_t *y,
    double *loss, char *err, size_t err_len);

/**
 * The same epoch in pieces, for progress reporting: begin_epoch checks (x, y), every image
 * and target value included (an error names its flat index), and shuffles (*n_batches
 * receives the batch count); train_batches trains the next n_batches batches (x and y
 * must be the same data each call, of the shapes begin_epoch saw, else SEMSEG_ERR_SHAPE;
 * the library keeps no pointer to them) and writes the batches done so far and their
 * mean loss; an Adam step that would make a weight NaN or infinite fails with
 * SEMSEG_ERR_VALUE (argument "lr") before it is applied. end_epoch, once every batch is
 * trained, counts the epoch, scores the validation data (val_x, val_y: both NULL or
 * both given), appends to the history, updates early stopping (monitor SEMSEG_MONITOR_*,
 * patience >= 1, min_delta >= 0; needs validation data; a best score counts only for the
 * monitor it was recorded with), saves a trainer checkpoint to checkpoint_path when
 * non-NULL, and fills *record and *stop (1: early stopping says stop). Invalid validation
 * data fails before the epoch is counted; a checkpoint that cannot be written fails after
 * it (the epoch stays counted and recorded, as its training happened; the message says
 * so). batches_done, mean_loss, record and stop may be NULL. abort_epoch drops an
 * unfinished epoch (batches already trained stay trained). Results are bitwise those of
 * semseg_trainer_train_epoch.
 */
semseg_status_t semseg_trainer_begin_epoch(
    semseg_trainer_t *trainer, const semseg_tensor_t *x, const semseg_tensor_t *y,
    int64_t *n_batches, char *err, size_t err_len);
semseg_status_t semseg_trainer_train_batches(
    semseg_trainer_t *trainer, const semseg_tensor_t *x, const semseg_tensor_t *y,
    int64_t n_batches, int64_t *batches_done, double *mean_loss, char *err, size_t err_len);
semseg_status_t semseg_trainer_end_epoch(
    semseg_trainer_t *trainer, const semseg_tensor_t *val_x, const semseg_tensor_t *val_y,
    int32_t monitor, int64_t patience, double min_delta, const char *checkpoint_path,
    semseg_epoch_record_t *record, int32_t *stop, char *err, size_t err_len);
semseg_status_t semseg_trainer_abort_epoch(semseg_trainer_t *trainer, char *err, size_t err_len);

/** Whether early stopping with (monitor, patience) says to stop before another epoch. */
semseg_status_t semseg_trainer_should_stop(
    semseg_trainer_t *trainer, int32_t monitor, int64_t patience, int32_t *stop,
    char *err, size_t err_len);

/** Loss and scores of the model on (x, y) in batches of batch_size (0: the trainer's). */
semseg_status_t semseg_trainer_evaluate(
    semseg_trainer_t *trainer, const semseg_tensor_t *x, const semseg_tensor_t *y,
    int64_t batch_size, semseg_scores_t *scores, char *err, size_t err_len);

/** Copies the history (at most capacity records) into records; *count receives its length. */
semseg_status_t semseg_trainer_history(
    semseg_trainer_t *trainer, semseg_epoch_record_t *records, int64_t capacity,
    int64_t *count, char *err, size_t err_len);

/** Saves model and complete training state (not during an epoch) atomically to `path`. */
semseg_status_t semseg_trainer_save(
    semseg_trainer_t *trainer, const char *path, char *err, size_t err_len);

/**
 * Restores a trainer saved by semseg_trainer_save with loss `loss` and its options (the
 * loss is not stored in the file). threads: 0 = the saved thread count (needed for a
 * bitwise-identical continuation). Model-only or corrupt files: SEMSEG_ERR_IO.
 */
semseg_status_t semseg_trainer_load(
    const char *path, const char *loss, const semseg_option_t *options, int64_t n_options,
    int64_t threads, semseg_trainer_t **out, char *err, size_t err_len);

/**
 * The OpenBLAS kernels the trainer's convolutions run on. Writes OpenBLAS's name for them
 * (openblas_get_corename(), e.g. "SkylakeX", "Haswell", "Zen", "Prescott") into `core`,
 * and into `faster` the OPENBLAS_CORETYPE that would be faster on this CPU when they are a
 * generic fallback (kernels without AVX2 on a CPU with AVX2 and FMA: "SkylakeX" or
 * "Haswell"), else "". OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded. Both
 * strings NUL-terminated, truncated to the buffer lengths; a NULL buffer is skipped.
 */
void semseg_blas_kernels(char *core, size_t core_len, char *faster, size_t faster_len);

#ifdef __cplusplus
}
#endif
#endif /* SEMSEGLOSS_H */
