#:project ../src/Dendrite.Models/Dendrite.Models.csproj
#:project ../src/Dendrite.Training/Dendrite.Training.csproj
#:property PublishAot=false
// Write your own model: a small CNN for Fashion-MNIST as a Module, its summary, a held-out validation split, one
// epoch with the Trainer, the test set once, weights saved and loaded, then the body frozen and the head replaced.
// Run: dotnet run samples/02-write-your-own-model.cs   (docs/write-your-own-model.md walks through it)
using Dendrite;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

Threading.Count = 2;       // the figures in docs/write-your-own-model.md were measured with 2 threads
Generator.ManualSeed(0);
var (xAll, yAll) = FashionMnist.Load(FashionMnist.Locate(), "train");
var (xTest, yTest) = FashionMnist.Load(FashionMnist.Locate(), "t10k");
var (train, validation) = Split.TrainValidation(xAll, yAll, 0.1, new Generator(1), stratify: yAll);

var model = new SmallCnn(classes: 10);
Console.WriteLine(Summary.Of(model, [1, 1, 28, 28]));

var loader = new DataLoader(train.X, train.Y, batchSize: 64, shuffle: true, generator: new Generator(2));
var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 1e-3), Losses.CrossEntropy);
trainer.Fit(loader, epochs: 1, validation: validation);
var (_, testAccuracy) = trainer.Evaluate(xTest, yTest);
Console.WriteLine($"test accuracy after one epoch: {testAccuracy:P2}");

// Weights by their PyTorch-style names, written atomically; loading checks every name and shape first.
string path = Path.Combine(Path.GetTempPath(), "small-cnn.safetensors");
Safetensors.Save(path, model.StateDict());
var copy = new SmallCnn(classes: 10);
copy.LoadStateDict(Safetensors.Load(path).Tensors);

// Transfer: freeze the features, give the copy a new two-class head, and only the head trains.
copy.Features.Freeze();
copy.Head = new Linear(32 * 7 * 7, 2);
Console.WriteLine($"trainable after the swap: {copy.ParameterCount(trainableOnly: true)} of {copy.ParameterCount()}");

/// <summary>conv(1→16) → ReLU → pool → conv(16→32) → ReLU → pool → linear.   x: (N, 1, 28, 28) → (N, classes)</summary>
public sealed class SmallCnn(int classes) : Module, ILayer
{
    // Public properties are registered: their names become the state-dict names (features.0.weight, head.weight).
    public Sequential Features { get; } = new(
        new Conv2d(1, 16, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
        new Conv2d(16, 32, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
        new Flatten());

    // A settable property lets a user replace the head of a built model.
    public Module Head { get; set; } = new Linear(32 * 7 * 7, classes);

    public Tensor Forward(Tensor x) => ((ILayer)Head).Call(Features.Call(x));  // (N, 1568) → (N, classes)
}
