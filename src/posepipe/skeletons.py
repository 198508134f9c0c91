"""The joint sets posepipe writes: names in output order and the bones drawn between them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Skeleton:
    """A named list of joints and the pairs of joint indices joined by a bone."""

    name: str
    joints: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]


# MediaPipe Pose / BlazePose: 33 landmarks, in the model's output order.
MEDIAPIPE33 = Skeleton(
    name="mediapipe33",
    joints=(
        "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
        "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
        "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
        "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee",
        "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
        "right_foot_index",
    ),
    # mediapipe.solutions.pose.POSE_CONNECTIONS, sorted, copied so the API needs no mediapipe.
    edges=(
        (0, 1), (0, 4), (1, 2), (2, 3), (3, 7), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12),
        (11, 13), (11, 23), (12, 14), (12, 24), (13, 15), (14, 16), (15, 17), (15, 19),
        (15, 21), (16, 18), (16, 20), (16, 22), (17, 19), (18, 20), (23, 24), (23, 25),
        (24, 26), (25, 27), (26, 28), (27, 29), (27, 31), (28, 30), (28, 32), (29, 31),
        (30, 32),
    ),
)

# HMR 2.0's 44 joints: OpenPose BODY_25, then 19 joints regressed from the mesh
# (SPIN's extra joints; names follow SPIN's JOINT_NAMES). PHALP appends a 45th all-zero
# joint (the SMPL origin); posepipe drops it.
OPENPOSE25_19 = Skeleton(
    name="openpose25+19",
    joints=(
        "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
        "left_elbow", "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle",
        "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye", "right_ear",
        "left_ear", "left_big_toe", "left_small_toe", "left_heel", "right_big_toe",
        "right_small_toe", "right_heel",
        "right_ankle_extra", "right_knee_extra", "right_hip_extra", "left_hip_extra",
        "left_knee_extra", "left_ankle_extra", "right_wrist_extra", "right_elbow_extra",
        "right_shoulder_extra", "left_shoulder_extra", "left_elbow_extra", "left_wrist_extra",
        "neck_lsp", "head_top_lsp", "pelvis_mpii", "thorax_mpii", "spine_h36m", "jaw_h36m",
        "head_h36m",
    ),
    # OpenPose BODY_25 limbs; the 19 extra joints duplicate body joints and are not drawn.
    edges=(
        (0, 1), (0, 15), (0, 16), (1, 2), (1, 5), (1, 8), (2, 3), (3, 4), (5, 6), (6, 7),
        (8, 9), (8, 12), (9, 10), (10, 11), (11, 22), (11, 24), (12, 13), (13, 14),
        (14, 19), (14, 21), (15, 17), (16, 18), (19, 20), (22, 23),
    ),
)

SKELETONS = {s.name: s for s in (MEDIAPIPE33, OPENPOSE25_19)}
