"""PyTorch side of the `cnn-infer` bench scenario: eval-mode forward under no_grad of torchvision's ResNet-18,
MobileNet-v2, GoogLeNet (no auxiliary heads) and DenseNet-121 (1000 classes, torchvision's own initialisation after
torch.manual_seed(0); nothing is downloaded) on fixed random 3x224x224 inputs (fp32).
Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol, one JSON line answered per stdin line:
- "export MODEL DIR" writes the same model (same weights as the timed one) to DIR/MODEL.onnx with torch.onnx.export
  (opset 13, batch dimension dynamic) and answers {"path", "bytes"}.
- "time MODEL BATCH MIN_TIME" times one block of forwards lasting about MIN_TIME seconds after a warm-up call and
  answers {"case", "batch", "seconds"} with the seconds per call.
"""
import json
import os
import sys

from opponent import start, time_block

torch = start(__doc__)
import torchvision  # noqa: E402  (after start fixed the threads)

MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(num_classes=1000),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(num_classes=1000),
    "googlenet": lambda: torchvision.models.googlenet(num_classes=1000, aux_logits=False, init_weights=True),
    "densenet121": lambda: torchvision.models.densenet121(num_classes=1000),
}
built = {}
inputs = {}


def model(name):
    if name not in built:
        torch.manual_seed(0)
        m = MODELS[name]()
        m.eval()
        built[name] = m
    return built[name]


for line in sys.stdin:
    parts = line.split()
    if parts[0] == "export" and parts[1] in MODELS:
        path = os.path.join(parts[2], parts[1] + ".onnx")
        with torch.no_grad():
            torch.onnx.export(model(parts[1]), torch.randn(1, 3, 224, 224), path, opset_version=13,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}})
        print(json.dumps({"path": path, "bytes": os.path.getsize(path)}), flush=True)
    elif parts[0] == "time" and parts[1] in MODELS:
        name, batch, min_time = parts[1], int(parts[2]), float(parts[3])
        m = model(name)
        if batch not in inputs:
            inputs[batch] = torch.randn(batch, 3, 224, 224)
        x = inputs[batch]

        def forward():
            with torch.no_grad():
                m(x)

        seconds, inner = time_block(forward, min_time)
        print(json.dumps({"case": name, "batch": batch, "seconds": seconds, "inner": inner}), flush=True)
    else:
        print(json.dumps({"error": f"bad request {line.strip()}"}), flush=True)
