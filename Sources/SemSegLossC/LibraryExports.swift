import CSemSegLoss
import SemSegLoss

// MARK: - Library section of semsegloss.h

/// Version of this library (kept in step with pyproject.toml).
let libraryVersion = StaticCStrings(["0.1.0"])
let lossNames = StaticCStrings(LossCatalog.names)
let metricNames = StaticCStrings(MetricCatalog.names)

@c @implementation
public func semseg_abi_version() -> Int32 { 1 }

@c @implementation
public func semseg_version() -> UnsafePointer<CChar>? { libraryVersion[0] }

@c @implementation
public func semseg_scratch_bytes() -> Int64 { Int64(ScratchBuffers.shared.pooledBytes) }

@c @implementation
public func semseg_release_scratch() { ScratchBuffers.releaseAll() }

@c @implementation
public func semseg_loss_count() -> Int32 { lossNames.count }

@c @implementation
public func semseg_loss_name(_ index: Int32) -> UnsafePointer<CChar>? { lossNames[index] }

@c @implementation
public func semseg_metric_count() -> Int32 { metricNames.count }

@c @implementation
public func semseg_metric_name(_ index: Int32) -> UnsafePointer<CChar>? { metricNames[index] }
