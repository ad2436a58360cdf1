"""bench/torch_models.py MODEL DATA_DIR TORCH_THREADS — the bench/ models in
PyTorch, one epoch over the 60,000 MNIST images (already in memory), batch
128, with the same optimizer settings as the .nnm files (Keras 2.2
defaults).  MODEL: mlp, lenet or mnist_cnn.  Prints "images/s N" and the
peak resident memory.  OPENBLAS_NUM_THREADS is set by the caller."""
import gzip, resource, sys, time
import numpy as np
import torch
import torch.nn as nn

name, data, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)

def idx(path, offset):
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)

x = idx(f'{data}/mnist/train-images-idx3-ubyte.gz', 16).astype(np.float32) / 255
y = torch.from_numpy(idx(f'{data}/mnist/train-labels-idx1-ubyte.gz', 8).astype(np.int64))
if name == 'mlp':
    x = torch.from_numpy(x.reshape(60000, 784))
    model = nn.Sequential(nn.Linear(784, 1000), nn.ReLU(), nn.Linear(1000, 300), nn.ReLU(), nn.Linear(300, 10))
    opt = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
elif name == 'lenet':
    x = torch.from_numpy(x.reshape(60000, 1, 28, 28))
    model = nn.Sequential(nn.Conv2d(1, 20, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(20, 50, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(2450, 500), nn.ReLU(), nn.Linear(500, 10))
    opt = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
else:
    x = torch.from_numpy(x.reshape(60000, 1, 28, 28))
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(128, 10))
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-7)
loss_fn = nn.CrossEntropyLoss()
model.train()
t = time.perf_counter()
perm = torch.randperm(60000)
for i in range(0, 60000, 128):
    b = perm[i:i + 128]
    opt.zero_grad()
    loss = loss_fn(model(x[b]), y[b])
    loss.backward()
    opt.step()
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f'images/s {60000 / dt:.0f} (loss {loss.item():.4f}, {dt:.2f} s, max RSS {rss:.0f} MiB)')
