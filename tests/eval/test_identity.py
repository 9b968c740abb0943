"""Dataset identity: named by the user (option or manifest), never by the layout; digest of the content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from zoo_testing import INDEX, LITE0, REPO

from zoo.data import DataError, find_images, smoke_set
from zoo.data.identity import MANIFEST, declared_figures, identify
from zoo.index import dataset_key, load_index
from zoo.spec import DatasetIdentity

SAMPLE = REPO.parent / "shared" / "imagenet-sample"


def declared_on(identity: DatasetIdentity) -> bool:
    """Whether lite0's declared ImageNet top-1 (74.83) is compared with a measurement there."""
    return declared_figures(load_index(INDEX).model(LITE0), identity)[0] is not None


@pytest.fixture
def synsets(tmp_path: Path) -> Path:
    """Three real photos in an ImageNet synset tree: the layout that was once called imagenet-val."""
    for folder in sorted(SAMPLE.iterdir())[:4]:
        if folder.is_dir():
            shutil.copytree(folder, tmp_path / "data" / folder.name)
    return tmp_path / "data"


def test_a_synset_tree_is_never_named_from_its_layout(synsets: Path) -> None:
    identity = identify(find_images(synsets))
    assert (identity.name, identity.named_by) == ("unnamed", "unnamed")
    assert identity.images == identity.classes == len(list(synsets.iterdir()))
    assert not declared_on(identity)


def test_the_name_comes_from_the_option_or_the_manifest(synsets: Path) -> None:
    (synsets / MANIFEST).write_text("name: ImageNet-1k val\n")
    named = identify(find_images(synsets))
    assert (named.name, named.named_by) == ("ImageNet-1k val", "manifest")
    assert declared_on(named)
    chosen = identify(find_images(synsets), "imagenet-sample (500 photos)")
    assert (chosen.name, chosen.named_by) == ("imagenet-sample (500 photos)", "option")
    assert not declared_on(chosen)
    assert chosen.digest == named.digest


def test_the_digest_follows_the_content(synsets: Path) -> None:
    before = identify(find_images(synsets)).digest
    image = next(synsets.rglob("*.JPEG"))
    image.write_bytes(image.read_bytes() + b"\0")
    assert identify(find_images(synsets)).digest != before


@pytest.mark.parametrize(
    ("manifest", "message"),
    [("name: ''\n", "field name"), ("[1, 2\n", "not a YAML manifest"), ("- a\n", "field name")],
)
def test_a_bad_manifest_is_one_located_line(synsets: Path, manifest: str, message: str) -> None:
    (synsets / MANIFEST).write_text(manifest)
    with pytest.raises(DataError, match=message) as error:
        identify(find_images(synsets))
    assert str(synsets / MANIFEST) in str(error.value)


def test_the_bundled_photos_are_a_smoke_set() -> None:
    identity = identify(smoke_set())
    assert identity.smoke and identity.named_by == "bundled"
    assert not declared_on(identity)


def test_dataset_names_are_normalised_but_not_confused() -> None:
    same = {dataset_key(n) for n in ("ImageNet", "ImageNet-1k", "imagenet_1K", "ILSVRC2012", "ImageNet-val")}
    assert same == {"imagenet"}
    assert dataset_key("ImageNet-sample") != "imagenet"
    assert dataset_key("ImageNet-V2") != "imagenet"
