using Microsoft.ML.OnnxRuntime;

namespace Sana.Kernels.Tests.Support;

/// <summary>A float input of a test graph: values, shape, and whether the graph takes it as float16.</summary>
internal sealed record TestTensor(string Name, float[] Data, long[] Shape, bool Half = false)
{
    /// <summary>The values as the graph sees them: rounded to float16 for a half input.</summary>
    public float[] Effective => Half ? Data.Select(v => (float)(Float16)v).ToArray() : Data;

    public TestTensor AsFloat() => this with { Data = Effective, Half = false };
}

/// <summary>Runs a built test graph in ONNX Runtime on the CPU, with the kernel library's ops registered.</summary>
internal static class GraphRunner
{
    /// <summary>The CPU build of the library beside the tests (Sana.Kernels.Tests.csproj builds it).</summary>
    public static string LibraryPath => Path.Combine(AppContext.BaseDirectory, "libsana_kernels.so");

    public static float[][] Run(byte[] model, IReadOnlyList<TestTensor> inputs, params string[] outputs)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        options.RegisterCustomOpLibrary(LibraryPath);
        using var session = new InferenceSession(model, options);
        var values = inputs.Select(i => i.Half
            ? OrtValue.CreateTensorValueFromMemory(i.Data.Select(v => (Float16)v).ToArray(), i.Shape)
            : OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), values, outputs);
            return results.Select(ToFloats).ToArray();
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
    }

    private static float[] ToFloats(OrtValue value) =>
        value.GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16
            ? value.GetTensorDataAsSpan<Float16>().ToArray().Select(h => (float)h).ToArray()
            : value.GetTensorDataAsSpan<float>().ToArray();
}

/// <summary>Random test data and the comparison the op tests assert.</summary>
internal static class Numbers
{
    public static float[] Normal(Random random, long count, double scale = 1.0)
    {
        var data = new float[count];
        for (var i = 0; i < data.Length; i++)
        {
            // Box-Muller: normal values, so sums and norms look like a network's
            var u = 1.0 - random.NextDouble();
            data[i] = (float)(scale * Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * random.NextDouble()));
        }

        return data;
    }

    /// <summary>||got - expected|| / ||expected||; NaN or infinity in got counts as a failure (returns infinity).</summary>
    public static double RelativeError(float[] got, float[] expected)
    {
        Assert.Equal(expected.Length, got.Length);
        double diff = 0, norm = 0;
        for (var i = 0; i < got.Length; i++)
        {
            if (!float.IsFinite(got[i]))
            {
                return double.PositiveInfinity;
            }

            diff += (got[i] - (double)expected[i]) * (got[i] - (double)expected[i]);
            norm += (double)expected[i] * expected[i];
        }

        return Math.Sqrt(diff / Math.Max(norm, 1e-30));
    }
}
