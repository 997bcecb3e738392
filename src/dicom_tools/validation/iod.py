"""IOD checks: the modules of the file's IOD, and in each the attribute types, at any depth."""

from __future__ import annotations

from dicom_tools.dicom.dictionary import keyword
from dicom_tools.dicom.reader import Item, ParsedFile
from dicom_tools.validation import tables
from dicom_tools.validation.conditions import MODULE_CONDITIONS, Context, attribute_condition
from dicom_tools.validation.decode import Values
from dicom_tools.validation.findings import Findings
from dicom_tools.validation.tables import Attr

_FG_SEQUENCES = frozenset((0x52009229, 0x52009230))  # Shared / Per-Frame Functional Groups
_OVERLAY_GROUPS = tuple(range(0x6000, 0x6020, 2))


def sop_class_of(pf: ParsedFile, values: Values) -> str:
    sop = values.text(pf.dataset, 0x00080016)
    if not sop:
        sop = values.text(pf.meta, 0x00020002)
    return sop or ""


def check_iod(
    pf: ParsedFile, values: Values, findings: Findings, non_ascii_text: bool
) -> tuple[str | None, dict[int, str]]:
    """Check the data set against its IOD; returns the IOD key and a tag -> module map
    of the top-level attributes (for naming the module of other findings)."""
    sop = sop_class_of(pf, values)
    if not sop:
        findings.error(
            "missing-type1",
            "no SOP Class UID: the IOD cannot be determined",
            tag=0x00080016,
            keyword="SOPClassUID",
            module="sop-common",
        )
        return None, {}
    iod = tables.iod_for(sop)
    if iod is None:
        findings.warning(
            "unknown-iod",
            f"SOP Class {sop} is not in the standard's IOD tables; module checks skipped",
            tag=0x00080016,
            keyword="SOPClassUID",
            module="sop-common",
        )
        return None, {}
    uses = tables.iod_modules(iod)
    root = pf.dataset
    ctx = Context(
        values, root, sop, frozenset(u.key for u in uses if u.usage == "M"), non_ascii_text
    )
    mandatory = {a.tag for u in uses if u.usage == "M" for a in tables.module_attributes(u.key)}
    owner: dict[int, str] = {}
    for use in uses:
        attrs = tables.module_attributes(use.key)
        for a in attrs:
            owner.setdefault(a.tag, use.key)
        overlay = tuple(a for a in attrs if a.tag >> 16 == 0x6000)
        if overlay:  # repeating group attributes: once per overlay group present
            _check_repeating(overlay, use.key, root, ctx, findings, owner)
            attrs = tuple(a for a in attrs if a.tag >> 16 != 0x6000)
            if not attrs:
                continue
        if use.usage != "M":
            decided = (
                MODULE_CONDITIONS[use.key](ctx, root) if use.key in MODULE_CONDITIONS else None
            )
            own = [a.tag for a in attrs if a.tag not in mandatory]
            if not decided and not any(tag in root.by_tag for tag in own):
                continue  # an optional or conditional module that is not there
        _check_attrs(attrs, root, use.key, "", ctx, findings)
    _report_extra(root, owner, findings)
    return iod, owner


def _check_repeating(
    attrs: tuple[Attr, ...],
    module: str,
    root: Item,
    ctx: Context,
    findings: Findings,
    owner: dict[int, str],
) -> None:
    """Overlay modules: each overlay group 60xx present is one instance of the module."""
    present = {el.tag >> 16 for el in root.elements if el.tag >> 16 in _OVERLAY_GROUPS}
    for group in sorted(present):
        shift = (group - 0x6000) << 16
        moved = tuple(a._replace(tag=a.tag + shift) for a in attrs)
        for a in moved:
            owner.setdefault(a.tag, module)
        _check_attrs(moved, root, module, "", ctx, findings)


def _check_attrs(
    attrs: tuple[Attr, ...],
    item: Item,
    module: str,
    prefix: str,
    ctx: Context,
    findings: Findings,
    in_functional_group: bool = False,
) -> None:
    values = ctx.values
    for a in attrs:
        el = item.by_tag.get(a.tag)
        kind = a.type
        where = {"tag": a.tag, "keyword": a.keyword, "path": prefix + a.keyword, "module": module}
        if in_functional_group:
            # Which functional group macros an IOD requires is not in the tables: each macro
            # is checked where it is present (in the shared or in the per-frame items).
            if el is None:
                continue
        elif kind in ("1C", "2C"):
            cond = attribute_condition(module, a.keyword)
            required = cond.test(ctx, item) if cond else None
            if required:
                kind = kind[0]
            elif required is False and el is not None and cond and cond.exclusive:
                findings.error(
                    "condition-unsatisfied",
                    f"Type {a.type} attribute present although its condition is not met",
                    **where,
                )
        if el is None:
            if kind in ("1", "2"):
                findings.error(f"missing-type{kind}", f"Type {a.type} attribute missing", **where)
            continue
        if kind in ("1", "1C") and values.is_empty(el):
            findings.error("empty-type1", f"Type {a.type} attribute has no value", **where)
        if a.children and el.items:
            fg = a.tag in _FG_SEQUENCES
            for i, sub in enumerate(el.items):
                _check_attrs(
                    a.children, sub, module, f"{prefix}{a.keyword}[{i}].", ctx, findings, fg
                )


def _report_extra(root: Item, owner: dict[int, str], findings: Findings) -> None:
    """Standard attributes that no module of the IOD lists (a Standard Extended SOP Class)."""
    for el in root.elements:
        tag = el.tag
        if tag in owner or tag >> 16 & 1 or tag >> 16 in (0x0002, 0xFFFA) or tag & 0xFFFF == 0:
            continue
        findings.info(
            "not-in-iod",
            "attribute is not part of the IOD (Standard Extended SOP Class)",
            tag=tag,
            keyword=keyword(tag),
        )
