using Sana.Inference.Pipeline;

namespace Sana.Inference.Tests.Pipeline;

public sealed class LatentDecoderTests
{
    [Theory]
    [InlineData(1024, 1024, 4)] // 8 x 256 x 1024 x 1024 = 2^31 would overflow ONNX Runtime's CUDA Resize
    [InlineData(2048, 2048, 1)]
    [InlineData(4096, 4096, 1)]
    [InlineData(512, 512, 16)]
    [InlineData(64, 64, 1024)]
    public void Decode_slices_keep_every_activation_far_below_int_range(int width, int height, int expected)
    {
        var slice = LatentDecoder.ImagesPerCall(width, height);
        Assert.Equal(expected, slice);
        Assert.True(slice == 1 || (long)slice * 256 * width * height < int.MaxValue);
    }
}
