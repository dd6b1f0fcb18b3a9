using Sana.Orleans.Silo.Hosting;

return await SanaSilo.RunAsync(args, Console.Out).ConfigureAwait(false);
