namespace Sana.Storage.Tests;

public sealed class ImageKeyTests
{
    [Fact]
    public void Name_is_job_index_and_seed()
    {
        Assert.Equal("j/000012-18446744073709551615.png", new ImageKey("j", 12, ulong.MaxValue).Name);
    }

    [Theory]
    [InlineData("job/000001-5.png")]
    [InlineData("a.b_c-d/123456-0.webp")]
    public void A_name_parses_back_to_its_key(string name)
    {
        Assert.True(ImageKey.TryParse(name, out var key));
        Assert.Equal(name, key.Name);
    }

    [Theory]
    [InlineData("job/1-5.png")]
    [InlineData("job/.000001-5.png.0a.tmp")]
    [InlineData("000001-5.png")]
    [InlineData("job/000001-x.png")]
    [InlineData("job/000001-5")]
    [InlineData("../job/000001-5.png")]
    public void Names_a_store_did_not_make_do_not_parse(string name)
    {
        Assert.False(ImageKey.TryParse(name, out _));
    }
}
