using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Training;

namespace Dendrite.Cli;

/// <summary><c>dendrite tokenizer train</c> and <c>dendrite pretrain</c>: a BPE vocabulary from a corpus, and a GPT
/// pre-trained on next-token prediction, written as a checkpoint that <c>dendrite generate</c> reads.</summary>
internal static class PretrainCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Register(RootCommand root)
    {
        root.Subcommands.Add(TokenizerCommand());
        root.Subcommands.Add(PretrainCommand());
    }

    private static Option<T> Opt<T>(string name, string description, T value) =>
        new(name) { Description = description, DefaultValueFactory = _ => value };

    private static Command TokenizerCommand()
    {
        var corpus = Opt("--corpus", "austen, sotu or a UTF-8 text file", "austen");
        var vocabSize = Opt("--vocab-size", "tokens in the vocabulary (256 bytes + merges)", 4096);
        var output = new Option<string?>("--out") { Description = "folder to write vocab.json and merges.txt" };
        var train = new Command("train", "learn a byte-level BPE vocabulary; print compression, round trip and time");
        foreach (var o in new Option[] { corpus, vocabSize, output }) train.Options.Add(o);
        train.SetAction(p => Guard(() => TrainTokenizer(p.GetValue(corpus)!, p.GetValue(vocabSize),
            p.GetValue(output))));
        var cmd = new Command("tokenizer", "byte-level BPE tokenizers");
        cmd.Subcommands.Add(train);
        return cmd;
    }

    private static int TrainTokenizer(string corpus, int vocabSize, string? output)
    {
        string text = TextCorpora.Load(corpus);
        Console.WriteLine($"corpus {corpus}: {text.Length:N0} characters, " +
            $"{System.Text.Encoding.UTF8.GetByteCount(text):N0} UTF-8 bytes");
        var clock = Stopwatch.StartNew();
        var bpe = BpeTokenizer.Train(text, vocabSize);
        Console.WriteLine($"trained {bpe.MergeCount:N0} merges (vocabulary {bpe.VocabSize:N0}) in " +
            $"{clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        var ids = bpe.Encode(text);
        double encode = clock.Elapsed.TotalSeconds;
        bool exact = bpe.Decode(ids) == text;
        Console.WriteLine($"encoded to {ids.Length:N0} tokens in {encode:F1} s: " +
            $"{System.Text.Encoding.UTF8.GetByteCount(text) / (double)ids.Length:F3} bytes/token, " +
            $"round trip {(exact ? "exact" : "NOT exact")}");
        var gpt2 = Gpt2Tokenizer.Shared.Encode(text);
        Console.WriteLine($"GPT-2's vocabulary (50,257): {gpt2.Length:N0} tokens, " +
            $"{System.Text.Encoding.UTF8.GetByteCount(text) / (double)gpt2.Length:F3} bytes/token");
        if (output is not null)
        {
            Directory.CreateDirectory(output);
            bpe.Save(Path.Combine(output, "vocab.json"), Path.Combine(output, "merges.txt"));
            Console.WriteLine($"wrote {Path.Combine(output, "vocab.json")} and merges.txt");
        }
        return exact ? 0 : 1;
    }

    private static Command PretrainCommand()
    {
        var corpus = Opt("--corpus", "austen, sotu or a UTF-8 text file", "austen");
        var maxChars = new Option<int?>("--max-chars") { Description = "use only the first N characters" };
        var tokenizer = Opt("--tokenizer", "bytes, chars, bpe (trained on the training part) or gpt2", "bpe");
        var vocabSize = Opt("--vocab-size", "BPE vocabulary size", 2048);
        var layers = Opt("--layers", "transformer blocks", 4);
        var heads = Opt("--heads", "attention heads", 4);
        var embedding = Opt("--embedding", "width of the residual stream", 128);
        var context = Opt("--context", "tokens per window", 128);
        var dropout = Opt("--dropout", "dropout", 0.0);
        var steps = Opt("--steps", "optimizer steps in all", 2000);
        var batch = Opt("--batch", "windows per step", 16);
        var lr = Opt("--lr", "peak learning rate", 1e-3);
        var warmup = Opt("--warmup", "linear warm-up steps", 100);
        var evalEvery = Opt("--eval-every", "steps between validation losses and checkpoints", 100);
        var evalWindows = Opt("--eval-windows", "validation windows per evaluation (0: all)", 64);
        var validation = Opt("--validation", "fraction of the text held out (its end)", 0.1);
        var output = Opt("--out", "checkpoint to write", "gpt.safetensors");
        var resume = Opt("--resume", "continue the run saved in --out", false);
        var initFrom = new Option<string?>("--init-from")
        {
            Description = "start from this checkpoint's weights and tokenizer (continued pre-training)",
        };
        var tokenizerFrom = new Option<string?>("--tokenizer-from")
        {
            Description = "new weights, but this checkpoint's tokenizer (the from-scratch control of --init-from)",
        };
        var evalAlso = new Option<string?>("--eval-also")
        {
            Description = "another corpus whose validation part is scored before and after (forgetting)",
        };
        var plot = new Option<string?>("--plot") { Description = "PNG of the loss curves" };
        var seed = Opt("--seed", "seed of the initialisation and batches", 0UL);
        var cmd = new Command("pretrain", "pre-train a GPT on next-token prediction (AdamW, warm-up + cosine, " +
            "clipping), with validation loss, unigram and bigram baselines, checkpoints and resume");
        foreach (var o in new Option[]
        {
            corpus, maxChars, tokenizer, vocabSize, layers, heads, embedding, context, dropout, steps, batch, lr,
            warmup, evalEvery, evalWindows, validation, output, resume, initFrom, tokenizerFrom, evalAlso, plot, seed,
        })
            cmd.Options.Add(o);
        cmd.SetAction(p => Guard(() => Pretrain(new PretrainRequest(p.GetValue(corpus)!, p.GetValue(maxChars),
            p.GetValue(tokenizer)!, p.GetValue(vocabSize), p.GetValue(layers), p.GetValue(heads),
            p.GetValue(embedding), p.GetValue(context), p.GetValue(dropout), p.GetValue(validation),
            p.GetValue(output)!, p.GetValue(resume), p.GetValue(initFrom), p.GetValue(tokenizerFrom),
            p.GetValue(evalAlso), p.GetValue(plot), p.GetValue(seed)),
            new PretrainOptions(p.GetValue(steps), p.GetValue(batch), p.GetValue(context), p.GetValue(lr),
                WarmupSteps: p.GetValue(warmup), EvalEvery: p.GetValue(evalEvery),
                EvalWindows: p.GetValue(evalWindows) is > 0 and var w ? w : null, Seed: p.GetValue(seed)))));
        return cmd;
    }

    private sealed record PretrainRequest(string Corpus, int? MaxChars, string Tokenizer, int VocabSize, int Layers,
        int Heads, int Embedding, int Context, double Dropout, double Validation, string Output, bool Resume,
        string? InitFrom, string? TokenizerFrom, string? EvalAlso, string? Plot, ulong Seed);

    private static int Pretrain(PretrainRequest r, PretrainOptions options)
    {
        var (trainText, valText) = TokenCorpus.SplitText(TextCorpora.Load(r.Corpus, r.MaxChars), r.Validation);
        Console.WriteLine($"corpus {r.Corpus}: {trainText.Length:N0} training and {valText.Length:N0} validation " +
            "characters");

        // The model and tokenizer: from the run being resumed, from a pre-trained checkpoint, or new.
        string? source = r.Resume ? r.Output : r.InitFrom;
        if (source is not null && r.TokenizerFrom is not null)
            throw new ArgumentException("pretrain: --tokenizer-from starts new weights; it cannot be combined with " +
                $"{(r.Resume ? "--resume" : "--init-from")}");
        Gpt model;
        ITokenizer tokenizer;
        if (source is not null)
        {
            if (!File.Exists(source)) throw new IOException($"pretrain: checkpoint '{source}' does not exist");
            var (tensors, meta) = Safetensors.Load(source);
            tokenizer = Tokenizers.FromMetadata(meta);
            model = Gpt.FromStateDict(tensors, meta);
            Console.WriteLine($"{(r.Resume ? "resuming" : "starting from")} {source}");
        }
        else
        {
            tokenizer = r.TokenizerFrom is null ? MakeTokenizer(r.Tokenizer, trainText, r.VocabSize)
                : Tokenizers.FromMetadata(LoadMetadata(r.TokenizerFrom));
            if (r.TokenizerFrom is not null)
                Console.WriteLine($"tokenizer {tokenizer.Kind} from {r.TokenizerFrom}; new weights");
            model = new Gpt(new GptConfig(tokenizer.VocabSize, r.Context, r.Layers, r.Heads, r.Embedding,
                r.Dropout), new Generator(r.Seed));
        }
        var train = TokenCorpus.Encode(tokenizer, trainText);
        var val = TokenCorpus.Encode(tokenizer, valText);
        Console.WriteLine($"tokenizer {tokenizer.Kind} ({tokenizer.VocabSize:N0} ids): training {train}; " +
            $"validation {val}");
        Console.WriteLine($"model: {model.Config.Layers} layers, {model.Config.Heads} heads, " +
            $"E {model.Config.Embedding}, context {model.Config.Context}: {model.ParameterCount():N0} parameters");

        foreach (var baseline in new[]
        {
            ("unigram", NGramModel.Unigram(train.Tokens, train.VocabSize)),
            ("bigram", NGramModel.Bigram(train.Tokens, train.VocabSize)),
        })
        {
            double nats = baseline.Item2.NatsPerToken(val.Tokens);
            Console.WriteLine($"baseline {baseline.Item1}: validation {nats:F4} nats/token, " +
                $"{val.BitsPerCharacter(nats):F4} bits/char");
        }

        var trainer = new LanguageModelTrainer(model, model.Forward, train, val, options with
        {
            Context = Math.Min(options.Context, model.Config.Context),
        });
        if (r.Resume) trainer.Resume(r.Output);
        // Both corpora's validation parts, scored in full before and after: adaptation to this corpus against
        // forgetting of the other.
        TokenCorpus? other = null;
        if (r.EvalAlso is not null)
        {
            // the whole of the other corpus, as its own pre-training saw it (--max-chars limits this one only)
            other = TokenCorpus.Encode(tokenizer,
                TokenCorpus.SplitText(TextCorpora.Load(r.EvalAlso), r.Validation).Validation);
            Report("before", trainer, (r.Corpus, val), (r.EvalAlso, other));
        }
        var metadata = model.Config.ToMetadata();
        metadata["generator"] = "gpt";
        foreach (var (k, v) in tokenizer.ToMetadata()) metadata[k] = v;
        metadata["corpus"] = r.Corpus;
        trainer.Run(p => Console.WriteLine(string.Format(Inv,
            "step {0,6}  lr {1:E2}  train {2:F4}  val {3:F4} nats/token  ppl {4:F2}  {5:F4} bits/char  {6:F0} s",
            p.Step, p.Lr, p.TrainLoss, p.ValidationLoss, p.Perplexity, p.BitsPerCharacter, p.Seconds)),
            r.Output, metadata);
        Console.WriteLine($"wrote {r.Output} (and {LanguageModelTrainer.OptimizerPath(r.Output)} for --resume)");

        var full = trainer.Evaluate(val);
        Console.WriteLine($"final validation (all {full.Tokens:N0} tokens): {full.NatsPerToken:F4} nats/token, " +
            $"perplexity {full.Perplexity:F2}, {full.BitsPerCharacter:F4} bits/char");
        if (other is not null) Report("after", trainer, (r.Corpus, val), (r.EvalAlso!, other));
        if (r.Plot is not null && trainer.History.Count > 0)
        {
            var h = trainer.History;
            double[] x = [.. h.Select(p => (double)p.Step)];
            Plots.Line(r.Plot,
                [new Series("train", x, [.. h.Select(p => p.TrainLoss)]),
                 new Series("validation", x, [.. h.Select(p => p.ValidationLoss)])],
                new LineOptions { Title = $"GPT pre-training on {r.Corpus}", XLabel = "step", YLabel = "nats/token" });
            Console.WriteLine($"wrote {r.Plot}");
        }
        var sample = model.Generate(tokenizer.Encode("\n"), 200, new SamplingOptions(0.8, 40), new Generator(r.Seed));
        Console.WriteLine("sample (temperature 0.8, top-k 40):");
        Console.WriteLine(tokenizer.Decode(sample));
        return 0;
    }

    private static IReadOnlyDictionary<string, string> LoadMetadata(string checkpoint)
    {
        if (!File.Exists(checkpoint)) throw new IOException($"pretrain: checkpoint '{checkpoint}' does not exist");
        return Safetensors.Load(checkpoint).Metadata;
    }

    private static void Report(string when, LanguageModelTrainer trainer, params (string Name, TokenCorpus Val)[] sets)
    {
        foreach (var (name, corpus) in sets)
        {
            var loss = trainer.Evaluate(corpus);
            Console.WriteLine($"{when}: {name} validation (all {loss.Tokens:N0} tokens) {loss.NatsPerToken:F4} " +
                $"nats/token, {loss.BitsPerCharacter:F4} bits/char");
        }
    }

    private static ITokenizer MakeTokenizer(string kind, string trainText, int vocabSize) => kind switch
    {
        ByteTokenizer.KindName => new ByteTokenizer(),
        CharTokenizer.KindName => CharTokenizer.Train(trainText),
        BpeTokenizer.KindName => BpeTokenizer.Train(trainText, vocabSize),
        Gpt2Tokenizer.KindName => Gpt2Tokenizer.Shared,
        _ => throw new ArgumentException($"pretrain: unknown tokenizer '{kind}' (bytes, chars, bpe, gpt2)"),
    };

    // The errors a user can cause (bad options, files, missing datasets): one line on stderr and exit code 2.
    internal static int Guard(Func<int> run)
    {
        try
        {
            return run();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException
            or FormatException or DatasetNotInstalledException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
