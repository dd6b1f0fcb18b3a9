using System.CommandLine;
using Sana.Cli.Commands;
using Sana.Cli.Commands.Bench;

var root = new RootCommand("sana: generate images in bulk with Sana models on ONNX Runtime and an Orleans cluster of GPUs")
{
    GenerateCommand.Create(),
    SiloCommand.Create(),
    WorkersCommand.Create(),
    BenchCommand.Create(),
};
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
