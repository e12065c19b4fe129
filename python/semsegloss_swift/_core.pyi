"""Type stubs of the C extension semsegloss_swift._core (marshalling over semsegloss.h)."""
from typing import Any, Mapping, Optional, Tuple, Union

import numpy as np

ABI_VERSION: int
MODE_BINARY: int
MODE_MULTILABEL: int
MODE_MULTICLASS: int
REDUCTION_MEAN: int
REDUCTION_SUM: int
REDUCTION_NONE: int
EMPTY_SMOOTH: int
EMPTY_SKIP: int
METRIC_EMPTY_NAN: int
METRIC_EMPTY_ONE: int
METRIC_EMPTY_ZERO: int

_Options = Optional[Mapping[str, Union[float, int, bool, None]]]

def abi_version() -> int: ...
def version() -> str: ...
def loss_names() -> list[str]: ...
def metric_names() -> list[str]: ...
def loss(name: str, input: Any, target: Any, options: _Options = None, return_grad: bool = False,
         grad_output: Any = None) -> Tuple[float, Optional[np.ndarray], Optional[np.ndarray]]: ...
def metric(name: str, input: Any, target: Any, options: _Options = None) -> Tuple[float, Optional[np.ndarray]]: ...
def confusion_counts(input: Any, target: Any, options: _Options = None) -> np.ndarray: ...
