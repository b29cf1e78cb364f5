"""Typed stub of the C++ extension (src/cpp/bindings.cc)."""

import numpy as np
import numpy.typing as npt

MUJOCO_HEADER_VERSION: int
POSE_FEATURES: int
POSE_POINTS: int
HUMANOID_HISTORY: int
HUMANOID_TASK_STATE: int
HUMANOID_VELOCITY_CLIP: float
HUMANOID_FEATURE_SITES: list[str]

def mujoco_version() -> int: ...
def task_names() -> list[str]: ...
def environments() -> list[dict[str, str | int | bool]]: ...

class BatchEnv:
    def __init__(
        self,
        xml_path: str,
        task: str,
        nenv: int,
        nthread: int = 1,
        max_episode_steps: int = 1000,
        body_names: list[str] = ...,
    ) -> None: ...
    @property
    def nenv(self) -> int: ...
    @property
    def nthread(self) -> int: ...
    @property
    def nobs(self) -> int: ...
    @property
    def nact(self) -> int: ...
    @property
    def nq(self) -> int: ...
    @property
    def nv(self) -> int: ...
    @property
    def nbody(self) -> int: ...
    @property
    def frame_skip(self) -> int: ...
    @property
    def max_episode_steps(self) -> int: ...
    @property
    def dt(self) -> float: ...
    @property
    def action_range(self) -> npt.NDArray[np.float64]: ...
    @property
    def task_nstate(self) -> int: ...
    @property
    def start_pool_size(self) -> int: ...
    @property
    def start_fraction(self) -> float: ...
    @property
    def start_rows(self) -> npt.NDArray[np.int32]: ...
    def set_start_pool(
        self,
        qpos: npt.NDArray[np.float64],
        qvel: npt.NDArray[np.float64],
        task_state: npt.NDArray[np.float64],
        fraction: float,
    ) -> None: ...
    @property
    def elapsed_steps(self) -> npt.NDArray[np.int32]: ...
    def reset(
        self, seed: int, obs: npt.NDArray[np.float64], body_pos: npt.NDArray[np.float64] | None = None
    ) -> None: ...
    def step(
        self,
        actions: npt.NDArray[np.float64],
        obs: npt.NDArray[np.float64],
        reward: npt.NDArray[np.float64],
        terminated: npt.NDArray[np.bool_],
        truncated: npt.NDArray[np.bool_],
        final_obs: npt.NDArray[np.float64],
        diverged: npt.NDArray[np.bool_],
        body_pos: npt.NDArray[np.float64] | None = None,
    ) -> None: ...
    def get_state(self, qpos: npt.NDArray[np.float64], qvel: npt.NDArray[np.float64]) -> None: ...
    def set_state(self, qpos: npt.NDArray[np.float64], qvel: npt.NDArray[np.float64]) -> None: ...
    @property
    def state_size(self) -> int: ...
    def get_sim_state(
        self,
        integration: npt.NDArray[np.float64],
        progress: npt.NDArray[np.float64],
        task_state: npt.NDArray[np.float64],
        elapsed: npt.NDArray[np.int32],
        rng: npt.NDArray[np.uint64],
        start_rows: npt.NDArray[np.int32],
    ) -> None: ...
    def set_sim_state(
        self,
        integration: npt.NDArray[np.float64],
        progress: npt.NDArray[np.float64],
        task_state: npt.NDArray[np.float64],
        elapsed: npt.NDArray[np.int32],
        rng: npt.NDArray[np.uint64],
        start_rows: npt.NDArray[np.int32],
    ) -> None: ...
    def step_physics_serial(self, actions: npt.NDArray[np.float64]) -> None: ...

class SiteKinematics:
    def __init__(self, xml_path: str, sites: list[str], nthread: int = 1) -> None: ...
    @property
    def nq(self) -> int: ...
    @property
    def nv(self) -> int: ...
    @property
    def nsite(self) -> int: ...
    @property
    def nthread(self) -> int: ...
    def compute(
        self,
        qpos: npt.NDArray[np.float64],
        qvel: npt.NDArray[np.float64],
        pos: npt.NDArray[np.float64],
        xmat: npt.NDArray[np.float64],
        linvel: npt.NDArray[np.float64],
        angvel: npt.NDArray[np.float64],
    ) -> None: ...

def cubic_spline(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    xq: npt.NDArray[np.float64],
    boundary: str,
    period: float,
    value: npt.NDArray[np.float64],
    deriv: npt.NDArray[np.float64] | None = None,
) -> None: ...
def forward_kinematics(
    parent: npt.NDArray[np.int32],
    axis: npt.NDArray[np.float64],
    offset: npt.NDArray[np.float64],
    dof_axis: npt.NDArray[np.int32],
    dof_column: npt.NDArray[np.int32],
    translation_column: npt.NDArray[np.int32],
    motion: npt.NDArray[np.float64],
    positions: npt.NDArray[np.float64],
) -> None: ...
def clip_features(
    points: npt.NDArray[np.float64],
    forward: npt.NDArray[np.float64],
    scale: float,
    k: int,
    out: npt.NDArray[np.float64],
) -> None: ...
def batch_features(
    points: npt.NDArray[np.float64],
    forward: npt.NDArray[np.float64],
    scale: float,
    pelvis_past: npt.NDArray[np.float64],
    nstep_past: npt.NDArray[np.int32],
    out: npt.NDArray[np.float64],
) -> None: ...
