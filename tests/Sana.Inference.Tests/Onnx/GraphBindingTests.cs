using System.Runtime.InteropServices;
using Sana.Inference.Noise;
using Sana.Inference.Onnx;
using Sana.Inference.Tests.Pipeline;

namespace Sana.Inference.Tests.Onnx;

/// <summary>
/// The denoising loop binds the transformer's step-invariant inputs once per micro-batch (<see cref="OnnxGraph.Bind"/>)
/// and only the latents and timestep per step. A bound run must give exactly what a plain run with every input gives,
/// at every step, and must read the bound inputs (not stale or default ones).
/// </summary>
public sealed class GraphBindingTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private const int Rows = 2;
    private const int TextRows = 5;

    private OnnxGraph Transformer => fixture.Sessions.Transformer;

    [Fact]
    public void Bound_runs_give_the_bits_of_plain_runs_step_after_step()
    {
        using var fixedInputs = FixedInputs(textSeed: 11);
        using var binding = Transformer.Bind(fixedInputs.Items, ["velocity"]);
        for (var step = 0; step < 3; step++)
        {
            using var hidden = Transformer.Prepare("hidden_states", Hidden(seed: (ulong)(100 + step)));
            using var timestep = Transformer.Prepare("timestep", new HostTensor([900f - (300f * step), 450f], [Rows]));

            var bound = Assert.Single(binding.Run([hidden, timestep], CancellationToken.None));
            var plain = Transformer.Run([hidden, timestep, .. fixedInputs.Items], ["velocity"], CancellationToken.None)[0];

            Assert.Equal(plain.Shape, bound.Shape);
            Assert.True(
                MemoryMarshal.AsBytes(plain.Data.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(bound.Data.AsSpan())),
                $"step {step}: the bound run differs from the plain run");
        }
    }

    [Fact]
    public void Each_binding_reads_its_own_fixed_inputs()
    {
        using var first = FixedInputs(textSeed: 11);
        using var second = FixedInputs(textSeed: 12);
        using var hidden = Transformer.Prepare("hidden_states", Hidden(seed: 5));
        using var timestep = Transformer.Prepare("timestep", new HostTensor([500f, 500f], [Rows]));
        using var firstBinding = Transformer.Bind(first.Items, ["velocity"]);
        using var secondBinding = Transformer.Bind(second.Items, ["velocity"]);

        var a = firstBinding.Run([hidden, timestep], CancellationToken.None)[0].Data;
        var b = secondBinding.Run([hidden, timestep], CancellationToken.None)[0].Data;
        var again = firstBinding.Run([hidden, timestep], CancellationToken.None)[0].Data;

        Assert.NotEqual(a, b);
        Assert.Equal(a, again);
    }

    [Fact]
    public void A_cancelled_bound_run_throws_operation_cancelled()
    {
        using var fixedInputs = FixedInputs(textSeed: 11);
        using var binding = Transformer.Bind(fixedInputs.Items, ["velocity"]);
        using var hidden = Transformer.Prepare("hidden_states", Hidden(seed: 5));
        using var timestep = Transformer.Prepare("timestep", new HostTensor([500f, 500f], [Rows]));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => binding.Run([hidden, timestep], cancelled.Token));
    }

    private HostTensor Hidden(ulong seed)
    {
        var channels = fixture.Transformer.InChannels;
        return new(LatentNoise.ForSeed(seed, Rows * channels, 4, 4), [Rows, channels, 4, 4]);
    }

    private InputSet FixedInputs(ulong textSeed)
    {
        var hidden = fixture.Transformer.CaptionChannels;
        var text = LatentNoise.ForSeed(textSeed, Rows * TextRows, hidden, 1);
        var mask = new long[Rows * TextRows];
        mask.AsSpan(0, TextRows).Fill(1);
        mask.AsSpan(TextRows, 3).Fill(1);
        return new(
        [
            Transformer.Prepare("encoder_hidden_states", new HostTensor(text, [Rows, TextRows, hidden])),
            OnnxGraph.Prepare("encoder_attention_mask", mask, [Rows, TextRows]),
            Transformer.Prepare("pag_layer_mask", new HostTensor(new float[fixture.Transformer.NumLayers], [fixture.Transformer.NumLayers])),
            Transformer.Prepare("pag_sample_mask", new HostTensor(new float[Rows], [Rows])),
        ]);
    }

    /// <summary>The transformer's step-invariant inputs of a micro-batch, released together.</summary>
    private sealed class InputSet(IReadOnlyList<GraphInput> items) : IDisposable
    {
        public IReadOnlyList<GraphInput> Items => items;

        public void Dispose()
        {
            foreach (var input in items)
            {
                input.Dispose();
            }
        }
    }
}
