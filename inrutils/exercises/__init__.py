"""Checks for the notebooks' exercises.

Each ``check_*`` function calls the learner's function on a few inputs, compares the
result with the library's reference implementation and either prints a one-line success
message or raises ``AssertionError`` with a hint about what differs. In the student
version of a notebook the solution raises ``NotImplementedError``, so the check fails.

One module per notebook (``nb`` + the notebook's file name), all re-exported here, so a
notebook calls ``exercises.check_grid(...)``:

- ``_common``: the shared guards (success line, tensor check, refusal of a library call)
- ``nb01_coordinate_mlps``: ``check_grid``, ``check_siren_init_bound``, ``check_ff_kernel``;
  ``check_fourier_features`` (no notebook cell calls it: a spare exercise for instructors)
- ``nb02_insp_derivative_operators``: ``check_taylor_coefficients``, ``check_tensor_norm`` (and
  the spares ``check_laplacian_from_hessian``, ``check_insp_conv``)
- ``nb03_insp_convnet``: ``check_permute_hidden``, ``check_tanh_jet``
- ``nb04_liif_local_ensembles``: ``check_ensemble_weights``, ``check_train_step``
- ``nb05_linr_single_image_priors``: ``check_masked_mse``, ``check_box_downsample``,
  ``check_discrepancy_step``
- ``nb06_knitwork_patch_gans``: ``check_dilated_patches``, ``check_xpatch``
- ``nb07_oinr_integral_operators``: ``check_encoding``, ``check_oinr_forward``,
  ``check_encoding_derivative``
- ``nb08_which_inr_when``: ``check_pareto_front``, ``check_budget_width``
"""

from .nb01_coordinate_mlps import (
    check_ff_kernel,
    check_fourier_features,
    check_grid,
    check_siren_init_bound,
)
from .nb02_insp_derivative_operators import (
    check_insp_conv,
    check_laplacian_from_hessian,
    check_taylor_coefficients,
    check_tensor_norm,
)
from .nb03_insp_convnet import check_permute_hidden, check_tanh_jet
from .nb04_liif_local_ensembles import check_ensemble_weights, check_train_step
from .nb05_linr_single_image_priors import (
    check_box_downsample,
    check_discrepancy_step,
    check_masked_mse,
)
from .nb06_knitwork_patch_gans import check_dilated_patches, check_xpatch
from .nb07_oinr_integral_operators import (
    check_encoding,
    check_encoding_derivative,
    check_oinr_forward,
)
from .nb08_which_inr_when import check_budget_width, check_pareto_front

__all__ = [
    "check_box_downsample",
    "check_budget_width",
    "check_discrepancy_step",
    "check_dilated_patches",
    "check_encoding",
    "check_encoding_derivative",
    "check_ensemble_weights",
    "check_ff_kernel",
    "check_fourier_features",
    "check_grid",
    "check_insp_conv",
    "check_laplacian_from_hessian",
    "check_masked_mse",
    "check_oinr_forward",
    "check_pareto_front",
    "check_permute_hidden",
    "check_siren_init_bound",
    "check_tanh_jet",
    "check_taylor_coefficients",
    "check_tensor_norm",
    "check_train_step",
    "check_xpatch",
]
