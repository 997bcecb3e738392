"""Private attributes known to be safe (Retain Safe Private Option, PS3.15 E.3.10).

Two sources, as E.3.10 allows:

1. ``SAFE_PRIVATE``: a subset of the standard's own examples (Table E.3.10-1, "Safe Private
   Attributes"): scalar technique and scaling values (CT pitch and table speed, PET SUV factors,
   MR b-values, Philips scale slope/intercept). The table's sequences, OB blobs, UIDs and free
   text are left out: we cannot vouch for what they hold. Vendors do not guarantee these either.
2. What the object itself declares in Private Data Element Characteristics Sequence
   (0008,0300): blocks whose Block Identifying Information Status is SAFE, elements listed in
   Nonidentifying Private Elements, and the Deidentification Action (D, Z, X, U) given for
   identifying ones.

Everything else private is removed, with the Private Creator of any block left empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydicom.multival import MultiValue

# (group, private creator, element offset within the block: the xx of (gggg,xxEE) is the block)
SAFE_PRIVATE: frozenset[tuple[int, str, int]] = frozenset(
    {
        (0x7053, "Philips PET Private Group", 0x00),  # SUV Factor
        (0x7053, "Philips PET Private Group", 0x09),  # Activity Concentration Factor
        (0x00E1, "ELSCINT1", 0x21),  # DLP
        (0x00E1, "ELSCINT1", 0x50),  # Acquisition Duration
        (0x01E1, "ELSCINT1", 0x26),  # Phantom Type
        (0x01F1, "ELSCINT1", 0x01),  # Acquisition Type
        (0x01F1, "ELSCINT1", 0x07),  # Table Velocity
        (0x01F1, "ELSCINT1", 0x26),  # Pitch
        (0x01F1, "ELSCINT1", 0x27),  # Rotation Time
        (0x0019, "GEMS_ACQU_01", 0x23),  # Table Speed [mm/rotation]
        (0x0019, "GEMS_ACQU_01", 0x24),  # Mid Scan Time [sec]
        (0x0019, "GEMS_ACQU_01", 0x27),  # Rotation Speed (Gantry Period)
        (0x0043, "GEMS_PARM_01", 0x27),  # Scan Pitch Ratio
        (0x0043, "GEMS_PARM_01", 0x39),  # Slop_int_6..9 (b-value)
        (0x0045, "GEMS_HELIOS_01", 0x01),  # Number of Macro Rows in Detector
        (0x0045, "GEMS_HELIOS_01", 0x02),  # Macro width at ISO Center
        (0x0025, "GEMS_SERS_01", 0x07),  # Images in Series
        (0x2001, "Philips Imaging DD 001", 0x03),  # Diffusion B-Factor
        (0x2001, "Philips Imaging DD 001", 0x04),  # Diffusion Direction
        (0x2005, "Philips MR Imaging DD 001", 0x0D),  # Scale Intercept
        (0x2005, "Philips MR Imaging DD 001", 0x0E),  # Scale Slope
        (0x0019, "SIEMENS MR HEADER", 0x0C),  # B Value
        (0x0019, "SIEMENS MR HEADER", 0x0D),  # Diffusion Directionality
        (0x0019, "SIEMENS MR HEADER", 0x0E),  # Diffusion Gradient Direction
        (0x0019, "SIEMENS MR HEADER", 0x27),  # B Matrix
    }
)


@dataclass
class Declared:
    """What Private Data Element Characteristics Sequence (0008,0300) says about private data."""

    safe_blocks: set[tuple[int, str]] = field(default_factory=set)
    safe_elements: set[tuple[int, str, int]] = field(default_factory=set)
    actions: dict[tuple[int, str, int], str] = field(default_factory=dict)

    @classmethod
    def from_dataset(cls, ds: Any) -> Declared:
        out = cls()
        for item in ds.get("PrivateDataElementCharacteristicsSequence", None) or ():
            try:
                group = int(item.get("PrivateGroupReference"))
                creator = str(item.get("PrivateCreatorReference", "")).strip()
            except (TypeError, ValueError):
                continue
            if str(item.get("BlockIdentifyingInformationStatus", "")).strip() == "SAFE":
                out.safe_blocks.add((group, creator))
            for offset in _ints(item.get("NonidentifyingPrivateElements")):
                out.safe_elements.add((group, creator, offset & 0xFF))
            for action_item in item.get("DeidentificationActionSequence", None) or ():
                action = str(action_item.get("DeidentificationAction", "")).strip().upper()
                if action in ("D", "Z", "X", "U"):
                    for offset in _ints(action_item.get("IdentifyingPrivateElements")):
                        out.actions[(group, creator, offset & 0xFF)] = action
        return out

    def action(self, group: int, creator: str, offset: int) -> str:
        """K (keep), D, Z, U or X for one private element."""
        key = (group, creator, offset)
        if key in self.actions:
            return self.actions[key]
        if key in SAFE_PRIVATE or key in self.safe_elements or (group, creator) in self.safe_blocks:
            return "K"
        return "X"


def _ints(value: Any) -> list[int]:
    if value is None or value == "":
        return []
    values = list(value) if isinstance(value, list | tuple | MultiValue) else [value]
    out = []
    for v in values:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return out
