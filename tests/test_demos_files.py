"""Malformed demonstrations files: a ValueError naming the file and the problem, found from
the members' headers before any large array is read; never a numpy/zipfile traceback,
never a MemoryError."""

import io
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from gail_fast import demos
from gail_fast.demos import Demonstrations


def npy(array=None, *, header: dict | None = None, data: bytes = b"") -> bytes:
    """The bytes of a .npy file: of `array`, or a hand-written header followed by `data`."""
    buf = io.BytesIO()
    if header is None:
        np.save(buf, array, allow_pickle=True)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(data)
    return buf.getvalue()


def members(**overrides) -> dict[str, bytes]:
    """The members of a good Hopper dataset (2 episodes of 3 and 2 steps), some replaced."""
    arrays = {
        "format": np.array("gail_fast.demos"),
        "version": np.array(2),
        "env_id": np.array("Hopper-v5"),
        "source": np.array("test"),
        "episode_lengths": np.array([3, 2]),
        "terminated": np.array([True, False]),
        "truncated": np.array([False, True]),
        "obs": np.arange(7 * 11, dtype=np.float64).reshape(7, 11),
        "actions": np.zeros((5, 3)),
        "rewards": np.ones(5),
        "returns": np.array([3.0, 2.0]),
    }
    out = {k: npy(v) for k, v in arrays.items()}
    for k, v in overrides.items():
        if v is None:
            out.pop(k)
        else:
            out[k] = v if isinstance(v, bytes) else npy(v)
    return out


def write_zip(path, parts: dict[str, bytes], compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in parts.items():
            z.writestr(name + ".npy", data)
    return path


def refused(path, *patterns, **kwargs) -> str:
    with pytest.raises(ValueError) as e:
        Demonstrations.load(path, **kwargs)
    message = str(e.value)
    assert str(path) in message
    for p in patterns:
        assert p in message, message
    return message


def test_the_helpers_make_a_good_file(tmp_path):
    d = Demonstrations.load(write_zip(tmp_path / "good.npz", members()))
    assert d.num_episodes == 2 and d.obs.shape == (7, 11)


@pytest.mark.parametrize(
    "obs, message",
    [
        (np.array(1.5), "obs must be a 2-D array of floats, got shape () of float64"),
        (np.array("abc"), "obs must be a 2-D array of floats, got shape () of <U3"),
        (np.zeros(77), "obs must be a 2-D array of floats, got shape (77,)"),
        (np.zeros((7, 11), dtype=np.int64), "obs must be a 2-D array of floats"),
    ],
)
def test_obs_of_the_wrong_kind(tmp_path, obs, message):
    refused(write_zip(tmp_path / "d.npz", members(obs=obs)), message)


def test_array_valued_version(tmp_path):
    refused(write_zip(tmp_path / "d.npz", members(version=np.array([2, 2]))), "version must be a single integer")


def test_non_string_env_id(tmp_path):
    refused(write_zip(tmp_path / "d.npz", members(env_id=np.array(3))), "env_id must be a single string")


def test_npy_renamed_npz(tmp_path):
    path = tmp_path / "d.npz"
    np.save(path.with_suffix(".npy"), np.zeros((7, 11)))
    path.with_suffix(".npy").rename(path)
    refused(path, "it is a single .npy array, not an .npz archive")


def test_truncated_file(tmp_path):
    good = write_zip(tmp_path / "good.npz", members()).read_bytes()
    for cut in (10, len(good) // 2, len(good) - 5):
        (tmp_path / "cut.npz").write_bytes(good[:cut])
        refused(tmp_path / "cut.npz", "not a zip archive, or a truncated one")


def test_empty_file_and_folder(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    refused(tmp_path / "empty.npz", "not a zip archive")
    (tmp_path / "folder.npz").mkdir()
    refused(tmp_path / "folder.npz", "is a folder, not a demonstrations file")


def test_header_claiming_745_gib(tmp_path):
    """A 14 KB file whose obs header claims 10^8 x 1000 floats: refused from the header."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**8, 1000)}
    path = write_zip(tmp_path / "liar.npz", members(obs=npy(header=header, data=bytes(14_000))))
    tracemalloc.start()
    refused(path, "the header of obs claims shape (100000000, 1000) of float64 (800000000000 bytes)", "holds 14000")
    assert tracemalloc.get_traced_memory()[1] < 10e6
    tracemalloc.stop()


def raw_zip(path, entries):
    """A zip archive written by hand, so that its headers can lie: `entries` are (name,
    method, compressed payload, CRC, declared unpacked size)."""
    out, central = bytearray(), bytearray()
    for name, method, payload, crc, size in entries:
        offset, fname = len(out), name.encode()
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(payload), size, len(fname), 0)
        out += fname + payload
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            method,
            0,
            0,
            crc,
            len(payload),
            size,
            len(fname),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += fname
    n = len(entries)
    path.write_bytes(
        bytes(out + central + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central), len(out), 0))
    )
    return path


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zeros_deflate(prefix: bytes, nmib: int) -> bytes:
    """A raw deflate stream of `prefix` then `nmib` MiB of zeros, about 1000 times smaller
    than that: one fully flushed MiB repeated (a full flush resets the compressor, so
    every MiB compresses the same)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    mib = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return head + mib * nmib + c.flush()


def stored(parts: dict[str, bytes]) -> list[tuple]:
    return [(k + ".npy", 0, v, zlib.crc32(v), len(v)) for k, v in parts.items()]


def test_hand_written_zip_of_good_members_loads(tmp_path):
    path = raw_zip(tmp_path / "good.npz", stored(members()))
    assert Demonstrations.load(path).obs.shape == (7, 11)


def test_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    """2 MB that unpack to 2 GiB of zeros, as a dataset of consistent shapes: the declared
    unpacked size is over the limit, so nothing is inflated."""
    nrow = (2**31 - 128) // 88
    header = npy(header={"descr": "<f8", "fortran_order": False, "shape": (nrow, 11)})
    header += b" " * (128 - len(header))  # not valid npy padding, but never read
    parts = members(
        episode_lengths=np.array([nrow - 1]),
        terminated=np.array([False]),
        truncated=np.array([True]),
        actions=None,
        rewards=None,
        returns=None,
        obs=None,
    )
    bomb = ("obs.npy", 8, zeros_deflate(header, 2048), 0, 2**31)
    path = raw_zip(tmp_path / "bomb.npz", stored(parts) + [bomb])
    assert path.stat().st_size < 2.5e6
    tracemalloc.start()
    refused(path, "its arrays take 2048.0 MiB unpacked, more than the 1024.0 MiB a dataset may")
    assert tracemalloc.get_traced_memory()[1] < 10e6
    tracemalloc.stop()


def test_big_but_consistent_dataset_within_a_lower_limit(tmp_path):
    """The limit is a parameter: 8 MiB of features refused at 4 MiB, read at the default."""
    nrow = 8 * 2**20 // 8 // 16
    parts = members(
        episode_lengths=np.array([nrow - 1]),
        terminated=np.array([False]),
        truncated=np.array([True]),
        actions=None,
        rewards=None,
        returns=None,
        obs=None,
        features=np.zeros((nrow, 16)),
    )
    path = write_zip(tmp_path / "big.npz", parts, zipfile.ZIP_DEFLATED)
    refused(path, "more than the 4.0 MiB", max_bytes=4 * 2**20)
    assert Demonstrations.load(path).features.shape == (nrow, 16)


def test_zip_bomb_under_a_small_declared_size(tmp_path):
    """A member that says it unpacks to obs's 744 bytes but inflates to 2 GiB: the reader
    stops at the declared size, and the checksum names the damage."""
    parts = members()
    obs = parts.pop("obs")
    header = npy(header={"descr": "<f8", "fortran_order": False, "shape": (7, 11)})
    assert len(obs) == len(header) + 7 * 88
    bomb = ("obs.npy", 8, zeros_deflate(header, 2048), zlib.crc32(obs), len(obs))
    path = raw_zip(tmp_path / "bomb.npz", stored(parts) + [bomb])
    tracemalloc.start()
    refused(path, "obs", "Bad CRC-32")
    assert tracemalloc.get_traced_memory()[1] < 10e6
    tracemalloc.stop()


def test_corrupt_data_fails_its_checksum(tmp_path):
    parts = members()
    entries = stored(parts)
    name, method, payload, crc, size = entries[7]
    assert name == "obs.npy"
    entries[7] = (name, method, payload[:-1] + b"\x01", crc, size)
    refused(raw_zip(tmp_path / "flip.npz", entries), "Bad CRC-32 for file 'obs.npy'")


def test_unknown_compression_and_encryption(tmp_path):
    write_zip(tmp_path / "lzma.npz", members(), zipfile.ZIP_LZMA)
    refused(tmp_path / "lzma.npz", "compression method 14")


def test_pickled_member(tmp_path):
    path = write_zip(tmp_path / "d.npz", members(obs=np.array([object()] * 7, dtype=object)))
    refused(path, "is not a readable .npz demonstrations file: obs: holds Python objects")


def test_impossible_header_shapes(tmp_path):
    for shape in [(-7, 11), (7.0, 11), (True, 11)]:
        header = {"descr": "<f8", "fortran_order": False, "shape": shape}
        path = write_zip(tmp_path / "d.npz", members(obs=npy(header=header, data=bytes(616))))
        refused(path, "obs")


def test_rows_are_checked_before_the_arrays_are_read(tmp_path):
    """episode_lengths that overflow int64 when summed, and obs with too few rows."""
    path = write_zip(tmp_path / "d.npz", members(episode_lengths=np.array([2**62, 2**62, 2**62, 2**62 + 3])))
    refused(path, "terminated has 2 rows; episode_lengths")
    path = write_zip(tmp_path / "d.npz", members(obs=np.zeros((6, 11))))
    refused(path, "obs has 6 rows; episode_lengths [3, 2] need 7")
    path = write_zip(tmp_path / "d.npz", members(episode_lengths=np.array([[3, 2]])))
    refused(path, "episode_lengths must be a 1-D array of integers")
    path = write_zip(tmp_path / "d.npz", members(episode_lengths=np.array([3, 0])))
    refused(path, "every episode needs at least one transition")
    path = write_zip(tmp_path / "d.npz", members(terminated=np.array([1, 0])))
    refused(path, "terminated must be a 1-D array of bools")


def test_nan_rewards_are_refused(tmp_path):
    rewards = np.ones(5)
    rewards[3] = np.nan
    refused(write_zip(tmp_path / "d.npz", members(rewards=rewards)), "rewards must be a finite 1-D array", "rows [3]")


def test_missing_members(tmp_path):
    refused(write_zip(tmp_path / "d.npz", members(terminated=None)), "lacks ['terminated']")
    refused(write_zip(tmp_path / "d.npz", members(format=None)), "not a gail_fast demonstrations file")
    refused(write_zip(tmp_path / "d.npz", members(format=np.array(1))), "not a gail_fast demonstrations file")


def test_other_byte_order_and_fortran_layout_load(tmp_path):
    obs = np.asfortranarray(np.arange(77.0).reshape(7, 11)).astype(">f8")
    d = Demonstrations.load(write_zip(tmp_path / "d.npz", members(obs=obs)))
    np.testing.assert_array_equal(d.obs, np.arange(77.0).reshape(7, 11))
    assert d.obs.dtype == np.float64 and d.obs.dtype.isnative


def test_unknown_members_are_ignored(tmp_path):
    parts = members()
    parts["notes"] = npy(np.array([object()], dtype=object))
    assert Demonstrations.load(write_zip(tmp_path / "d.npz", parts)).num_episodes == 2


def test_cli_reports_one_line(tmp_path, capsys):
    write_zip(tmp_path / "d.npz", members(version=np.array([2, 2])))
    with pytest.raises(SystemExit) as e:
        demos.main(["info", str(tmp_path / "d.npz")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "d.npz" in err and "version" in err


def test_programmatic_construction_is_checked_too():
    good = dict(
        env_id="Hopper-v5",
        source="t",
        episode_lengths=np.array([2]),
        obs=np.zeros((3, 11)),
        terminated=np.array([True]),
        truncated=np.array([False]),
    )
    Demonstrations(**good)
    for change, message in [
        ({"obs": np.array("abc")}, "obs must be a 2-D array of floats"),
        ({"obs": [[0.0] * 11] * 3}, "obs must be a numpy array, got a list"),
        ({"rewards": np.array([1.0, np.inf])}, "rewards must be a finite 1-D array"),
        ({"terminated": np.array([1])}, "terminated must be a 1-D array of bools"),
        ({"env_id": None}, "env_id and source must be strings"),
    ]:
        with pytest.raises(ValueError, match=message):
            Demonstrations(**{**good, **change})
