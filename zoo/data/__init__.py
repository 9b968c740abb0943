"""Evaluation images: ImageNet in the layouts people keep it, and a bundled smoke set of real photos.

Class indices are ImageNet-1k's sorted synsets (timm's `ImageNetInfo`); images are read by timm's
`ImageDataset` and preprocessed once per model in DataLoader workers (`batches`).
"""

from zoo.data.imagenet import class_name, is_synset, synset_to_index
from zoo.data.labels import LABEL_FILE_NAMES, LabelsError, read_labels
from zoo.data.layouts import FLAT, IMAGEFOLDER, DataError, ImageSet, find_images
from zoo.data.loader import Batch, SkippedImage, batches, spread_indices
from zoo.data.smoke import SMOKE, SMOKE_NOTICE, smoke_labels, smoke_set

__all__ = [
    "FLAT",
    "IMAGEFOLDER",
    "LABEL_FILE_NAMES",
    "SMOKE",
    "SMOKE_NOTICE",
    "Batch",
    "DataError",
    "ImageSet",
    "LabelsError",
    "SkippedImage",
    "batches",
    "class_name",
    "find_images",
    "is_synset",
    "read_labels",
    "smoke_labels",
    "smoke_set",
    "spread_indices",
    "synset_to_index",
]
