Console.WriteLine("sana");
