"""bench/torch_mlp.py DATA_DIR TORCH_THREADS — the bench/mlp.nnm model in
PyTorch: 784-1000-300-10 ReLU MLP, RMSprop (Keras 2.2 settings: lr 0.001,
rho 0.9, eps 1e-7), batch 128, one epoch over 60,000 MNIST images already
in memory.  Prints "images/s N".  OPENBLAS_NUM_THREADS is set by the caller."""
import gzip, sys, time
import numpy as np
import torch

data, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)

def idx(path, offset):
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)

x = torch.from_numpy(idx(f'{data}/mnist/train-images-idx3-ubyte.gz', 16).reshape(60000, 784).astype(np.float32) / 255)
y = torch.from_numpy(idx(f'{data}/mnist/train-labels-idx1-ubyte.gz', 8).astype(np.int64))
model = torch.nn.Sequential(torch.nn.Linear(784, 1000), torch.nn.ReLU(),
                            torch.nn.Linear(1000, 300), torch.nn.ReLU(),
                            torch.nn.Linear(300, 10))
opt = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()

def epoch():
    perm = torch.randperm(60000)
    for i in range(0, 60000, 128):
        idx_ = perm[i:i + 128]
        opt.zero_grad()
        loss = loss_fn(model(x[idx_]), y[idx_])
        loss.backward()
        opt.step()
    return loss.item()

t = time.perf_counter()
last = epoch()
dt = time.perf_counter() - t
print(f'images/s {60000 / dt:.0f} (loss {last:.4f}, {dt:.2f} s)')
