"""Checkpoint loading: a damaged, foreign or mismatched checkpoint is a ValueError naming the
file and the problem, never a torch traceback or advice to unpickle it."""

import io
import zipfile

import pytest
import torch

from gail_fast.nets import GaussianPolicy
from gail_fast.runs import load_checkpoint, load_policy, policy_state, save_checkpoint

HOPPER_NOBS, HOPPER_NACT = 11, 3


def checkpoint(env_id="Hopper-v5", nobs=HOPPER_NOBS, nact=HOPPER_NACT, hidden=(8,), **extra) -> dict:
    torch.manual_seed(0)
    policy = GaussianPolicy(nobs, nact, hidden)
    return {
        "format": "gail_fast.checkpoint",
        "algo": "bc",
        "env_id": env_id,
        "iteration": 1,
        "policy": policy_state(policy),
        **extra,
    }


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.pt"
    save_checkpoint(path, checkpoint())
    return path


def refused(call, path, *patterns) -> str:
    with pytest.raises(ValueError) as e:
        call(path)
    message = str(e.value)
    assert str(path) in message, message
    for p in patterns:
        assert p in message, message
    assert "weights_only" not in message and "Errno" not in message, message
    return message


def test_good_checkpoint_loads_and_checks_its_environment(good, tmp_path):
    policy, env_id, state = load_policy(good, "Hopper-v5", nobs=HOPPER_NOBS, nact=HOPPER_NACT, check_env=True)
    assert env_id == "Hopper-v5" and policy.nobs == HOPPER_NOBS and state["iteration"] == 1
    # a run folder's latest checkpoint too
    save_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt", checkpoint())
    assert load_policy(tmp_path / "run", check_env=True)[1] == "Hopper-v5"


def test_truncated_file(good, tmp_path):
    data = good.read_bytes()
    for cut in (0, 3, 30, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.pt").write_bytes(data[:cut])
        refused(load_checkpoint, tmp_path / "cut.pt", "is not a gail_fast checkpoint")
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    refused(load_checkpoint, tmp_path / "cut.pt", "a truncated or damaged zip archive")
    (tmp_path / "cut.pt").write_bytes(b"")
    refused(load_checkpoint, tmp_path / "cut.pt", "an empty file")


def test_random_bytes(tmp_path):
    path = tmp_path / "random.pt"
    path.write_bytes(bytes(range(256)) * 10)
    refused(load_checkpoint, path, "not a zip archive as torch.save writes")


def test_damaged_tensor_data_fails_its_checksum(good, tmp_path):
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = next(i for i in z.infolist() if "/data/" in i.filename)
    local = data[info.header_offset : info.header_offset + 30]  # its own name and extra lengths
    start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
    data[start] ^= 0xFF
    (tmp_path / "flip.pt").write_bytes(bytes(data))
    refused(load_checkpoint, tmp_path / "flip.pt", f"its member {info.filename} is damaged")


def test_compressed_archive(good, tmp_path):
    path = tmp_path / "zipped.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    refused(load_checkpoint, path, "is compressed")


def test_code_in_the_pickle(tmp_path):
    path = tmp_path / "code.pt"
    torch.save({"format": "gail_fast.checkpoint", "hook": print}, path)
    refused(load_checkpoint, path, "holds more than tensors and plain Python types", "Unsupported global")


def test_foreign_and_marker_less(tmp_path):
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    refused(load_checkpoint, tmp_path / "tensor.pt", "no 'format' marker")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "hello")
    (tmp_path / "zip.pt").write_bytes(buf.getvalue())
    refused(load_checkpoint, tmp_path / "zip.pt", "without the one folder holding data.pkl")


def test_checkpoint_for_another_environment(good, tmp_path):
    refused(lambda p: load_checkpoint(p, "Walker2d-v5"), good, "is a checkpoint for 'Hopper-v5', not 'Walker2d-v5'")
    refused(lambda p: load_policy(p, nobs=17), good, "takes 11 observations and gives 3 actions; 17 and None")
    save_checkpoint(tmp_path / "walker.pt", checkpoint(env_id="Walker2d-v5"))  # Hopper's sizes, Walker's id
    refused(
        lambda p: load_policy(p, check_env=True),
        tmp_path / "walker.pt",
        "takes 11 observations and gives 3 actions; Walker2d-v5 has observations of shape (17,)",
    )


def test_checkpoint_for_an_unknown_environment(tmp_path):
    save_checkpoint(tmp_path / "unknown.pt", checkpoint(env_id="NoSuchEnv-v0"))
    refused(lambda p: load_policy(p, check_env=True), tmp_path / "unknown.pt", "is for 'NoSuchEnv-v0', which cannot")
    save_checkpoint(tmp_path / "none.pt", checkpoint(env_id=None))
    refused(load_policy, tmp_path / "none.pt", "its env_id is None")


def test_nan_in_the_policy(tmp_path):
    state = checkpoint()
    state["policy"]["state"]["mean.0.weight"][2, 3] = float("nan")
    save_checkpoint(tmp_path / "nan.pt", state)
    refused(load_policy, tmp_path / "nan.pt", "holds no usable policy: mean.0.weight holds NaN or inf")
    state = checkpoint()
    state["policy"]["state"]["obs_norm.var"][0] = float("inf")
    save_checkpoint(tmp_path / "inf.pt", state)
    refused(load_policy, tmp_path / "inf.pt", "obs_norm.var holds NaN or inf")


def test_architecture_that_does_not_match_the_tensors(tmp_path):
    state = checkpoint()
    state["policy"]["arch"]["hidden"] = [64]
    save_checkpoint(tmp_path / "arch.pt", state)
    refused(
        load_policy, tmp_path / "arch.pt", "mean.0.weight should be a float tensor of shape (64, 11), got shape (8, 11)"
    )
    # an architecture of 10^6 x 10^6 units is never built: its shapes are compared first
    state["policy"]["arch"]["hidden"] = [10**6, 10**6]
    save_checkpoint(tmp_path / "huge.pt", state)
    refused(load_policy, tmp_path / "huge.pt", "lack ['mean.4.bias', 'mean.4.weight']")
    for arch in (
        {"nobs": 11, "nact": 3},
        {"nobs": -1, "nact": 3, "hidden": [8]},
        {"nobs": "11", "nact": 3, "hidden": [8]},
    ):
        state["policy"]["arch"] = arch
        save_checkpoint(tmp_path / "bad.pt", state)
        refused(load_policy, tmp_path / "bad.pt", "is not sizes nobs, nact and a list of hidden widths")


def test_tensors_stretched_over_too_little_data(tmp_path):
    """A stride-0 view costs a few bytes in the file and its full size once copied."""
    state = checkpoint()
    state["policy"]["state"]["mean.0.weight"] = torch.zeros(1).expand(8, 11)
    save_checkpoint(tmp_path / "stretched.pt", state)
    refused(load_policy, tmp_path / "stretched.pt", "mean.0.weight has more elements than bytes stored for it")


def test_wrong_tensor_types(tmp_path):
    state = checkpoint()
    state["policy"]["state"]["log_std"] = torch.zeros(3, dtype=torch.int64)
    save_checkpoint(tmp_path / "int.pt", state)
    refused(
        load_policy,
        tmp_path / "int.pt",
        "log_std should be a float tensor of shape (3,), got shape (3,) of torch.int64",
    )
    state["policy"]["state"]["log_std"] = [0.0, 0.0, 0.0]
    save_checkpoint(tmp_path / "list.pt", state)
    refused(load_policy, tmp_path / "list.pt", "log_std should be a float tensor of shape (3,), got list")
    state["policy"] = {"arch": [], "state": {}}
    save_checkpoint(tmp_path / "no.pt", state)
    refused(load_policy, tmp_path / "no.pt", "no 'policy' entry with 'arch' and 'state'")
