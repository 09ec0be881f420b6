namespace Dendrite.IO;

/// <summary>An ONNX file that cannot be read: malformed protobuf, or sizes that disagree with the data present.
/// The message names the file and the field.</summary>
public sealed class OnnxFormatException : Exception
{
    /// <summary>Creates the exception with a message naming file and field.</summary>
    public OnnxFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message naming file and field, and the cause.</summary>
    public OnnxFormatException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>A well-formed ONNX model that uses an operator, attribute value or data type Dendrite does not
/// support. <see cref="Feature"/> is the short name shown by the conformance runner (for example
/// <c>Conv</c> or <c>Pad mode reflect</c>).</summary>
public sealed class OnnxUnsupportedException : Exception
{
    /// <summary>Creates the exception for <paramref name="feature"/>.</summary>
    public OnnxUnsupportedException(string feature) : base($"unsupported: {feature}") => Feature = feature;

    /// <summary>Creates the exception for <paramref name="feature"/> met at <paramref name="where"/> (the file
    /// and, when running, the node).</summary>
    public OnnxUnsupportedException(string feature, string where) : base($"{where}: unsupported: {feature}")
    {
        Feature = feature;
        Where = where;
    }

    /// <summary>The file (and node) where the feature was met, or null when not known yet.</summary>
    public string? Where { get; }

    /// <summary>What is unsupported, in a few words.</summary>
    public string Feature { get; }
}
