// MARK: - A loss's own parameters, checked when it is built

// `LossCatalog.make` checks each loss's own parameters (γ ≥ 0, α ∈ [0, 1], smoothing ≥ 0,
// weights, floors, ...) as it builds the loss, so that a bad value fails where it was given
// rather than at the first evaluation. Evaluation checks them again (a Swift caller may
// change a loss's fields after `make`), together with everything that needs the tensors:
// the mode against the channels, class-weight counts, spacing per axis, window sizes.

extension LossFunction {
    /// Throws, naming the option, when a parameter of the loss is out of its range or does
    /// not go with `options` (checks that need no tensor).
    public func validate(options: LossOptions) throws(SegLossError) {
        switch self {
        case .bce(let l): try l.validate()
        case .focal(let l): try l.validate()
        case .dice(let l): try l.validate()
        case .jaccard(let l): try l.validate()
        case .tversky(let l): try l.validate()
        case .focalTversky(let l): try l.validate()
        case .diceBCE(let l):
            try l.validate(options)
            try l.dice.validate()
            try l.bce.validate()
        case .hausdorffDT(let l): try l.validate(options)
        case .boundary(let l): try l.validate(options)
        case .distancePenalizedCE(let l): try l.validate(options)
        case .shapeAware(let l): try l.validate(options)
        case .hausdorffER(let l): try l.validate()
        case .distribution(let f): try f.validate(options: options)
        case .regionFamily(let f): try f.validate(options: options)
        case .lovasz(let f): try f.validate(options: options)
        case .compound(let f): try f.validate(options: options)
        }
    }
}

extension DistributionFamily {
    public func validate(options: LossOptions) throws(SegLossError) {
        switch self {
        case .weightedBCE(let l), .balancedBCE(let l): try l.validate()
        case .crossEntropy(let l): try l.validate()
        case .topK(let l): try l.validate()
        case .nacl(let l): try l.validate()
        case .poly(let l): try l.validate()
        }
    }
}

extension RegionFamily {
    public func validate(options: LossOptions) throws(SegLossError) {
        switch self {
        case .logCoshDice(let l): try l.validate()
        case .sensitivitySpecificity(let l): try l.validate()
        case .generalizedDice(let l): try l.validate()
        case .mcc(let l): try l.validate()
        case .asymmetricSimilarity(let l): try l.validate()
        case .logDice(let l): try l.validate()
        case .wassersteinDice(let l): try l.validate(options)
        case .clDice(let l): try l.validate()
        case .distanceWeightedDice(let l): try l.validate()
        }
    }
}

extension LovaszFamily {
    public func validate(options: LossOptions) throws(SegLossError) {
        switch self {
        case .hinge, .softmax: break  // per_image and classes are read as valid codes
        case .ssim(let l): try l.validate()
        }
    }
}

extension CompoundFamily {
    public func validate(options: LossOptions) throws(SegLossError) {
        switch self {
        case .diceCE(let l):
            try l.validate(options)
            try l.dice.validate()
            try l.crossEntropy.validate()
        case .diceFocal(let l):
            try l.validate(options)
            try l.dice.validate()
        case .combo(let l):
            try l.validate(options)
            try l.dice.validate()
        case .expLog(let l): try l.validate(options)
        case .unifiedFocal(let l): try l.validate(options)
        case .weightedSum(let l):
            for part in l.parts { try part.loss.function.validate(options: part.loss.options) }
        case .yeungFocal(let l): try l.validate()
        case .yeungFocalTversky(let l): try l.validate()
        }
    }
}
