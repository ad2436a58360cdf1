"""bench/torch_models.py MODEL DATA_DIR TORCH_THREADS [LIMIT] — the bench/
models in PyTorch, one epoch over the data (already in memory), with the
same optimizer settings as the .nnm files (Keras 2.2 defaults).  Prints
"images/s N" and the peak resident memory.  OPENBLAS_NUM_THREADS is set by
the caller.  MODEL:
  mlp, lenet, mnist_cnn  bench/*.nnm: the 60,000 MNIST images, batch 128
  vgg_bn  models/cifar10_vgg_bn.nnm: three blocks of two 3x3 convs (32, 64,
          128 filters, 'same', ReLU, then batch normalisation with Keras's
          momentum 0.99 and epsilon 1e-3), 2x2 max-pooling and dropout 0.2,
          0.3, 0.4 after each; Dense 128 + ReLU + BN + dropout 0.5, Dense 10;
          Adam, batch 64; the first LIMIT CIFAR-10 training images (default
          6400).  Its initial weights and random numbers are PyTorch's; the
          work done is the same."""
import gzip, resource, sys, time
import numpy as np
import torch
import torch.nn as nn

name, data, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
limit = int(sys.argv[4]) if len(sys.argv) > 4 else 6400
batch = 128
torch.set_num_threads(threads)
torch.manual_seed(0)

def idx(path, offset):
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)

if name != 'vgg_bn':
    x = idx(f'{data}/mnist/train-images-idx3-ubyte.gz', 16).astype(np.float32) / 255
    y = torch.from_numpy(idx(f'{data}/mnist/train-labels-idx1-ubyte.gz', 8).astype(np.int64))
if name == 'vgg_bn':
    import cifar_data
    x, y = cifar_data.load(data, cifar_data.TRAIN)
    x, y = x[:limit], y[:limit]
    batch = 64

    def block(cin, cout, drop):
        bn = lambda: nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), bn(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(),
                bn(), nn.MaxPool2d(2), nn.Dropout(drop)]

    model = nn.Sequential(*block(3, 32, 0.2), *block(32, 64, 0.3), *block(64, 128, 0.4), nn.Flatten(),
                          nn.Linear(2048, 128), nn.ReLU(), nn.BatchNorm1d(128, eps=1e-3, momentum=0.01),
                          nn.Dropout(0.5), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
elif name == 'mlp':
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
n = len(x)
perm = torch.randperm(n)
for i in range(0, n, batch):
    b = perm[i:i + batch]
    opt.zero_grad()
    loss = loss_fn(model(x[b]), y[b])
    loss.backward()
    opt.step()
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f'images/s {n / dt:.0f} (loss {loss.item():.4f}, {dt:.2f} s, max RSS {rss:.0f} MiB)')
