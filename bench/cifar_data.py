"""bench/cifar_data.py — CIFAR-10's binary batches as PyTorch tensors, for
the PyTorch twins of the CIFAR-10 models (bench/*_torch.py)."""
import numpy as np
import torch


def load(data, files, mean=None, std=None):
    """(x [N, 3, 32, 32] float32 in [0, 1], y [N] int64) of the given
    batch files under DATA/cifar-10-batches-bin; with mean and std (per
    channel), x is normalised by them."""
    raw = np.concatenate([np.fromfile(f'{data}/cifar-10-batches-bin/{f}', np.uint8) for f in files])
    raw = raw.reshape(-1, 3073)
    x = raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255
    if mean is not None:
        x = (x - np.array(mean, np.float32).reshape(1, 3, 1, 1)) / np.array(std, np.float32).reshape(1, 3, 1, 1)
    return torch.from_numpy(x), torch.from_numpy(raw[:, 0].astype(np.int64))


TRAIN = [f'data_batch_{i}.bin' for i in range(1, 6)]
TEST = ['test_batch.bin']
