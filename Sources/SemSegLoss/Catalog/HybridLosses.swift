// MARK: - Compound losses built from whole catalogue losses

/// The peers' compound losses whose parts are catalogue losses as they are, built as a
/// `WeightedLossSum` from named options (LOSSES.md §2 rows 45, 46, 50, 51):
///
/// - `generalized_dice_focal_loss` (MONAI `GeneralizedDiceFocalLoss`):
///   λ_gdl·GDL + λ_focal·Focal, with `generalized_dice_loss` (Sudre et al., DLMIA 2017;
///   `weight_type`, region options) and `focal_loss` (Lin et al., ICCV 2017; sigmoid per
///   channel in binary/multilabel mode, softmax in multiclass mode, α = nil by default as
///   MONAI). Defaults λ = 1, 1, γ = 2.
/// - `dice_top_k_loss` (SegLoss / nnU-Net `DC_and_topk_loss`): λ_dice·Dice + λ_top_k·TopK,
///   with `dice_loss` and `top_k_ce_loss` (k = 10 %: the mean of the k % largest per-voxel
///   cross-entropies, BCE per element in binary/multilabel mode). SegLoss adds the
///   *negative* Dice coefficient (TopK − D); 1 − D here makes the loss ≥ 0 with the same
///   gradient.
/// - `unet3p_hybrid_loss` (SemSegLoss `unet3p_hybrid_loss`; Huang et al., "UNet 3+",
///   ICASSP 2020): focal + SSIM + Jaccard, with `focal_loss` (α = 0.25, γ = 2 as
///   SemSegLoss), `ssim_loss` (single-scale, as SemSegLoss, although the paper uses
///   MS-SSIM) and `jaccard_loss` (smoothed: SemSegLoss's unsmoothed `jacard_loss` is NaN
///   on an empty prediction and target).
/// - `basnet_hybrid_loss` (SemSegLoss `basnet_hybrid_loss`; Qin et al., "BASNet", CVPR
///   2019): CE + SSIM + Jaccard, with `cross_entropy_loss` (binary cross-entropy per
///   element in binary/multilabel mode, as BASNet; categorical in multiclass mode).
/// - `dice_boundary_loss` (Kervadec et al., MIDL 2019 / MedIA 2021; LOSSES.md row 52):
///   λ_dice·R + λ_boundary·`boundary_loss`, R the generalized Dice loss (`generalized`,
///   default, Kervadec's L_GDL + α·L_B with α = 0.01 at the start of training) or the soft
///   Dice loss (SegLoss's `DC_and_BD_loss`); Kervadec's schedule raises λ_boundary by 0.01
///   per epoch, the convex form (1 − α)·R + α·L_B is λ_dice = 1 − α. The boundary part is
///   negative by design, and so can the sum be.
/// - `dice_hausdorff_dt_loss` (Karimi & Salcudean, IEEE TMI 2020; SegLoss's
///   `DC_and_HD_loss`; row 53): λ·Dice + `hausdorff_dt_loss` with λ = L_HD/L_Dice at the
///   current input, held constant in the gradient (`WeightedLossSum.balanced`): the value
///   is 2·L_HD and the gradient (L_HD/L_Dice)·∇Dice + ∇L_HD.
///
/// SemSegLoss computes its Jaccard term micro over the whole batch without smoothing and
/// takes probabilities: `batch = true, smooth_nr = smooth_dr = 0, from_logits = false`
/// reproduces it (where it is finite). The SSIM part refuses `ignore_index`, so the two
/// hybrids do too.
public enum HybridLosses {
    public static let names = [
        "generalized_dice_focal_loss", "dice_top_k_loss", "unet3p_hybrid_loss", "basnet_hybrid_loss",
        "dice_boundary_loss", "dice_hausdorff_dt_loss",
    ]

    static func make(_ name: String, _ r: inout OptionReader, common: LossOptions) throws(SegLossError) -> WeightedLossSum {
        switch name {
        case "generalized_dice_focal_loss":
            let gdl = GeneralizedDiceLoss(
                weightType: try r.code("weight_type", default: GeneralizedDiceWeight.square, names: { $0.name }),
                region: try r.regionOptions())
            let focal = try focal(&r, alphaWeighting: false)
            return try WeightedLossSum(name: name, partNames: "generalized Dice and focal", parts: [
                (try r.double("lambda_gdl", default: 1), "lambda_gdl", .regionFamily(.generalizedDice(gdl))),
                (try r.double("lambda_focal", default: 1), "lambda_focal", .focal(focal)),
            ], options: common)
        case "dice_top_k_loss":
            let dice = DiceLoss(region: try r.regionOptions(), squaredPrediction: try r.bool("squared_pred", default: false))
            let topK = TopKCrossEntropyLoss(
                k: try r.double("k", default: 10),
                crossEntropy: CrossEntropyLoss(
                    weight: try r.doubles("weight"), labelSmoothing: try r.double("label_smoothing", default: 0)))
            return try WeightedLossSum(name: name, partNames: "Dice and top-k cross-entropy", parts: [
                (try r.double("lambda_dice", default: 1), "lambda_dice", .dice(dice)),
                (try r.double("lambda_top_k", default: 1), "lambda_top_k", .distribution(.topK(topK))),
            ], options: common)
        case "unet3p_hybrid_loss", "basnet_hybrid_loss":
            let first: (Double, String, LossFunction)
            if name == "unet3p_hybrid_loss" {
                first = (try r.double("lambda_focal", default: 1), "lambda_focal", .focal(try focal(&r, alphaWeighting: true)))
            } else {
                first = (try r.double("lambda_ce", default: 1), "lambda_ce", .distribution(.crossEntropy(CrossEntropyLoss())))
            }
            let ssim = try SSIMLoss.make(&r)
            let jaccard = JaccardLoss(region: try r.regionOptions())
            return try WeightedLossSum(
                name: name, partNames: name == "unet3p_hybrid_loss" ? "focal, SSIM and Jaccard" : "cross-entropy, SSIM and Jaccard",
                parts: [
                    first,
                    (try r.double("lambda_ssim", default: 1), "lambda_ssim", .lovasz(.ssim(ssim))),
                    (try r.double("lambda_jaccard", default: 1), "lambda_jaccard", .jaccard(jaccard)),
                ], options: common)
        case "dice_boundary_loss":
            let region: LossFunction
            if try r.bool("generalized", default: true) {
                region = .regionFamily(.generalizedDice(GeneralizedDiceLoss(
                    weightType: try r.code("weight_type", default: GeneralizedDiceWeight.square, names: { $0.name }),
                    region: try r.regionOptions())))
            } else {
                if try r.optional("weight_type") != nil {
                    throw .option("weight_type", "applies to the generalized Dice part only (generalized=True)")
                }
                region = .dice(DiceLoss(region: try r.regionOptions()))
            }
            return try WeightedLossSum(name: name, partNames: "Dice and boundary", parts: [
                (try r.double("lambda_dice", default: 1), "lambda_dice", region),
                (try r.double("lambda_boundary", default: 0.01), "lambda_boundary",
                 .boundary(try BoundaryLoss(reading: &r))),
            ], options: common)
        case "dice_hausdorff_dt_loss":
            let dice = DiceLoss(region: try r.regionOptions())
            let hd = HausdorffDTLoss(alpha: try r.double("alpha", default: 2), spacing: try r.doubles("spacing"))
            var sum = try WeightedLossSum(name: name, partNames: "Dice and Hausdorff-DT", parts: [
                (1, "lambda_dice", .dice(dice)), (1, "lambda_hd", .hausdorffDT(hd)),
            ], options: common)
            sum.balanced = true
            return sum
        default:
            throw .option("loss", "unknown loss '\(name)'")
        }
    }

    /// `focal_loss`'s options: alpha (default 0.25, applied when `alpha_weighting`, whose
    /// default is the loss's own), gamma (default 2).
    private static func focal(_ r: inout OptionReader, alphaWeighting: Bool) throws(SegLossError) -> FocalLoss {
        let alpha = try r.double("alpha", default: 0.25)
        let weighted = try r.bool("alpha_weighting", default: alphaWeighting)
        return FocalLoss(alpha: weighted ? alpha : nil, gamma: try r.double("gamma", default: 2))
    }
}
