"""bench/resnet9_torch.py DATA_DIR TORCH_THREADS [EPOCHS [LIMIT]] — the twin of
models/resnet9_cifar.nnm in PyTorch: the same net (half-width ResNet-9:
3x3 convs without bias, BN with Keras's momentum 0.99 and epsilon 1e-3,
global max-pool, Dense 10 without bias, logits scaled by 0.125) and the same recipe: per-channel
normalisation, shifts of up to 4 pixels with reflected borders and flips,
label smoothing 0.2, SGD with Nesterov momentum 0.9, weight decay 5e-4 on
the kernels (the .nnm file's L2 of 2.5e-4), batch 256, the one-cycle rate
(0 -> 0.4 over the first quarter of the steps, then to 0), per step.
EPOCHS defaults to 10; LIMIT, when given, trains on the first LIMIT images
only (a timing run).  Per epoch it prints the training images/s and the test
accuracy; at the end "images/s N" (training, best epoch) and the peak
resident memory.  OPENBLAS_NUM_THREADS/OMP_NUM_THREADS are the caller's.

Differences from nnmc, none of which changes the work done: PyTorch's
reflect padding does not repeat the edge pixel (scipy's, which Keras and
nnmc use, does); its initial weights are PyTorch's defaults, not Glorot's;
its random numbers are its own."""
import resource, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import cifar_data

data, threads = sys.argv[1], int(sys.argv[2])
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
limit = int(sys.argv[4]) if len(sys.argv) > 4 else 50000
torch.set_num_threads(threads)
torch.manual_seed(1)
np.random.seed(1)


MEAN, STD = [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]
x_train, y_train = cifar_data.load(data, cifar_data.TRAIN, MEAN, STD)
x_test, y_test = cifar_data.load(data, cifar_data.TEST, MEAN, STD)
x_train, y_train = x_train[:limit], y_train[:limit]


def conv_bn(cin, cout, pool=False):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    layers += [nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU()]
    return nn.Sequential(*layers)


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(conv_bn(c, c), conv_bn(c, c))

    def forward(self, x):
        return x + self.body(x)


class Scale(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x * self.k


model = nn.Sequential(conv_bn(3, 32), conv_bn(32, 64, pool=True), Residual(64), conv_bn(64, 128, pool=True),
                      conv_bn(128, 256, pool=True), Residual(256), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
                      nn.Linear(256, 10, bias=False), Scale(0.125))
kernels = [p for n, p in model.named_parameters() if p.dim() > 1]
others = [p for n, p in model.named_parameters() if p.dim() <= 1]
batch = 256
steps_per_epoch = (len(x_train) + batch - 1) // batch
total = 10 * 196  # the .nnm file's schedule, whatever this run's length
opt = torch.optim.SGD([{'params': kernels, 'weight_decay': 5e-4}, {'params': others, 'weight_decay': 0}],
                      lr=0.4, momentum=0.9, nesterov=True)


def one_cycle(step):
    return step / (total / 4) if step < total / 4 else max(0.0, (total - step) / (total - total / 4))


sched = torch.optim.lr_scheduler.LambdaLR(opt, one_cycle)
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2)


def augment(xb):
    """Shifts of -4 .. 4 pixels each way with reflected borders, and flips."""
    n = xb.shape[0]
    padded = F.pad(xb, (4, 4, 4, 4), mode='reflect')
    dy, dx = np.random.randint(0, 9, n), np.random.randint(0, 9, n)
    flip = np.random.rand(n) < 0.5
    out = torch.empty_like(xb)
    for i in range(n):
        img = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = img.flip(2) if flip[i] else img
    return out


def accuracy():
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x_test), 1000):
            correct += (model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item()
    model.train()
    return correct / len(x_test)


best = 0
for ep in range(epochs):
    t = time.perf_counter()
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), batch):
        b = perm[i:i + batch]
        opt.zero_grad()
        loss = loss_fn(model(augment(x_train[b])), y_train[b])
        loss.backward()
        opt.step()
        sched.step()
    dt = time.perf_counter() - t
    best = max(best, len(x_train) / dt)
    acc = accuracy()
    print(f'epoch {ep + 1}: {len(x_train) / dt:.0f} images/s, {dt:.1f} s, loss {loss.item():.4f}, test acc {acc:.4f}',
          flush=True)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f'images/s {best:.0f} (max RSS {rss:.0f} MiB)')
