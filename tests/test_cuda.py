"""The GPU path: the same code on cuda (skipped on machines without CUDA)."""

import pytest
import torch

from inrutils import checkpoints, config
from inrutils.data import load_image
from inrutils.encodings import FourierFeatures
from inrutils.fit import fit_image
from inrutils.metrics import psnr
from inrutils.models import MLP, Siren
from inrutils.render import render

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_device_picks_cuda():
    assert config.device("auto").type == "cuda" and config.device("cuda:0") == torch.device(
        "cuda:0"
    )


def test_fit_and_render_on_cuda_match_cpu_quality(tmp_path):
    img = load_image("camera", 64)  # CPU tensor: fit moves data to the model's device
    results = {}
    for dev in ("cpu", "cuda"):
        config.seed_everything(0)
        net = Siren(hidden=128, layers=3).to(dev)
        h = fit_image(net, img, 200, 1e-3, progress=False)
        out = render(net, 64)
        assert out.device.type == "cpu" and out.shape == (1, 64, 64)
        results[dev] = (h.final_psnr, psnr(out, img))
    assert results["cuda"][1] > 30.0
    assert (
        abs(results["cuda"][1] - results["cpu"][1]) < 1.5
    )  # same seed, same init; kernels differ slightly
    net = MLP(hidden=32, layers=2, encoding=FourierFeatures(2, 16, 2.0)).cuda()
    path = checkpoints.save(net, tmp_path / "net.pt")
    back = checkpoints.load(path, device="cuda")
    x = torch.rand(8, 2, device="cuda")
    assert torch.equal(back(x), net(x))
