import pytest
import torch

from inrutils import config


def test_device_cpu_and_auto():
    assert config.device("cpu") == torch.device("cpu")
    assert config.device("auto").type in {"cpu", "cuda", "mps"}


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "tpu", ""])
def test_device_unknown_name_lists_allowed(bad):
    with pytest.raises(ValueError, match="allowed: 'auto', 'cpu', 'mps', 'cuda', 'cuda:N'"):
        config.device(bad)


def test_device_env_override(monkeypatch):
    monkeypatch.setenv("INRUTILS_DEVICE", "cpu")
    assert config.device() == torch.device("cpu")
    monkeypatch.setenv("INRUTILS_DEVICE", "banana")
    with pytest.raises(ValueError, match="INRUTILS_DEVICE='banana'"):
        config.device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_device_cuda_unavailable_is_an_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        config.device("cuda")


def test_seed_everything_reproduces_torch_and_numpy():
    import numpy as np

    config.seed_everything(3)
    a, na = torch.rand(4), np.random.rand(2)
    config.seed_everything(3)
    b, nb = torch.rand(4), np.random.rand(2)
    assert torch.equal(a, b) and (na == nb).all()
    with pytest.raises(ValueError, match="seed"):
        config.seed_everything(-1)


def test_steps_and_tier(monkeypatch):
    monkeypatch.setattr(config, "FAST", False)
    assert config.steps(300) == 300 and config.tier(128, 32) == 128
    monkeypatch.setattr(config, "FAST", True)
    assert config.steps(300) == 30 and config.steps(300, 7) == 7 and config.tier(128, 32) == 32
    assert config.steps(5) == 1
    with pytest.raises(ValueError, match="default must be a positive integer"):
        config.steps(0)


def test_env_flag_parsing(monkeypatch):
    for raw, want in [("1", True), ("true", True), ("0", False), ("", False), ("off", False)]:
        monkeypatch.setenv("INRUTILS_FAST", raw)
        assert config._env_flag("INRUTILS_FAST") is want
    monkeypatch.setenv("INRUTILS_FAST", "maybe")
    with pytest.raises(ValueError, match="INRUTILS_FAST='maybe'"):
        config._env_flag("INRUTILS_FAST")
