"""What a dataset is: the name its owner gave it, its size, its classes, and a digest of its content.

A top-1 means something only with its dataset, and a dataset is never named from its layout (a
synset tree is not "ImageNet-val" because it looks like one). The name comes from the user: the
`--dataset-name` option, else a manifest file in the folder (`zoo-dataset.yml`, `name: ...`). Without
either it stays unnamed, and no declared figure is ever compared with it. The digest covers every
image's bytes and label, so two results on "the same" folder can be told apart when it changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.data.layouts import DataError, ImageSet
from zoo.spec import DatasetIdentity

if TYPE_CHECKING:
    from zoo.index import Model

__all__ = ["MANIFEST", "UNNAMED", "declared_figures", "identify"]

MANIFEST = "zoo-dataset.yml"
UNNAMED = "unnamed"
_MANIFEST_LIMIT = 64 * 1024  # bytes: a manifest names a dataset, it holds no data


def identify(image_set: ImageSet, name: str | None = None) -> DatasetIdentity:
    """The identity of `image_set`: `name` (the user's option) wins over the folder's manifest."""
    digest = hashlib.sha256()
    for path, label in image_set.samples:
        digest.update(f"{Path(path).relative_to(image_set.root).as_posix()}\0{label}\0".encode())
        with open(path, "rb") as image:
            digest.update(hashlib.file_digest(image, "sha256").digest())
    if name is not None:
        found, named_by = name.strip(), "option"
        if not found:
            raise DataError("--dataset-name must not be empty")
    elif image_set.smoke:
        found, named_by = image_set.name, "bundled"
    else:
        found, named_by = _manifest_name(image_set.root)
    return DatasetIdentity(
        name=found,
        images=len(image_set),
        classes=len({label for _, label in image_set.samples}),
        digest=digest.hexdigest(),
        named_by=named_by,
        smoke=image_set.smoke,
    )


def _manifest_name(root: Path) -> tuple[str, str]:
    """The `name:` of the folder's manifest, or unnamed; a manifest that says something else is an error."""
    import yaml

    manifest = root / MANIFEST
    if not manifest.is_file():
        return UNNAMED, "unnamed"
    if manifest.stat().st_size > _MANIFEST_LIMIT:
        raise DataError(f"{manifest}: over {_MANIFEST_LIMIT // 1024} KiB; a dataset manifest is a few lines")
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise DataError(f"{manifest}: not a YAML manifest ({str(error).splitlines()[0]})") from None
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"{manifest}: field name: must be the dataset's name, as text")
    return name.strip(), "manifest"


def declared_figures(model: Model, identity: DatasetIdentity) -> tuple[float | None, float | None]:
    """The model's declared (top-1, top-5) on the dataset measured, or none when it is another."""
    if identity.smoke or identity.named_by == "unnamed":
        return None, None
    return (
        model.declared_accuracy("Top 1 Accuracy", identity.name),
        model.declared_accuracy("Top 5 Accuracy", identity.name),
    )
