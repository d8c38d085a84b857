import pytest
import torch

from inrutils import checkpoints
from inrutils.checkpoints import CheckpointError
from inrutils.encodings import FourierFeatures
from inrutils.models import MLP, Siren


@pytest.mark.parametrize(
    "make",
    [
        lambda: Siren(hidden=16, layers=3, w0=20.0),
        lambda: MLP(hidden=16, layers=2, encoding=FourierFeatures(2, 8, 2.0, seed=3)),
    ],
)
def test_round_trip_rebuilds_identical_model(tmp_path, make):
    net = make()
    path = checkpoints.save(net, tmp_path / "sub" / "net.pt", image="camera", psnr=31.5)
    x = torch.rand(20, 2)
    rebuilt = checkpoints.load(path)
    assert type(rebuilt) is type(net)
    assert torch.equal(rebuilt(x), net(x))
    assert rebuilt.checkpoint_meta == {"image": "camera", "psnr": 31.5}
    into = checkpoints.load(path, make())
    assert torch.equal(into(x), net(x))


def test_other_architecture_is_a_clear_error(tmp_path):
    path = checkpoints.save(Siren(hidden=16, layers=3), tmp_path / "a.pt")
    with pytest.raises(CheckpointError, match="holds a Siren, but the model given is a MLP"):
        checkpoints.load(path, MLP(hidden=16, layers=3))
    with pytest.raises(CheckpointError, match=r"another architecture.*'hidden': \(16, 32\)"):
        checkpoints.load(path, Siren(hidden=32, layers=3))


def test_shape_mismatch_without_config_difference(tmp_path):
    net = Siren(hidden=16, layers=2)
    path = checkpoints.save(net, tmp_path / "a.pt")
    other = Siren(hidden=16, layers=2)
    other.head = torch.nn.Linear(16, 3)  # same config, tampered module
    with pytest.raises(CheckpointError, match=r"head.weight: stored \(1, 16\) vs model \(3, 16\)"):
        checkpoints.load(path, other)


def test_corrupt_foreign_and_missing_files(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        checkpoints.load(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(CheckpointError, match="not an inrutils checkpoint"):
        checkpoints.load(foreign)
    with pytest.raises(FileNotFoundError, match="checkpoint file not found"):
        checkpoints.load(tmp_path / "nope.pt")


def test_unsafe_pickles_are_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "inrutils-checkpoint", "version": 1, "obj": object()}, path)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        checkpoints.load(path)
